/** @jsxImportSource preact */
import { useState } from 'preact/hooks';
import { ActivationSteps } from '../components/activation';
import { EventTypeList, OutcomeBadge, StatusBadge, ValidationBadge } from '../components/badges';
import { ConfirmDialog } from '../components/confirm-dialog';
import { DeliveryChart } from '../components/delivery-chart';
import { ExportButton } from '../components/export-button';
import { RefreshIcon } from '../components/icons';
import { Link, PageHeader } from '../components/layout';
import { ErrorNotice, LoadMore, Loading, Notice } from '../components/notice';
import { SecretPanel } from '../components/secret-panel';
import { TestEventPanel } from '../components/test-event';
import { useApp } from '../lib/app-context';
import { EVENT_TYPE_NAMES, VALIDATION_EVENT_TYPE, deactivationNotice, errorLabel, eventTypeLabel, formatDuration, formatTime } from '../lib/labels';
import { paths } from '../lib/router';
import { EVENT_TYPES, type AttemptRecord, type LogFilters, type Outcome, type Page, type Webhook } from '../lib/types';
import { useAction, useLoad } from '../lib/use-async';

const KIND_LABELS: Record<string, string> = { test: 'Test', validation: 'Validation', redelivery: 'Redelivery', recovery: 'Recovery' };

/** A webhook's page: its logs (chart, filters, table, paging, CSV, clear) and its tools. */
export function WebhookPage({ id }: { id: string }) {
  const { api } = useApp();
  const loaded = useLoad(() => api.getWebhook(id), [id]);
  const [filters, setFilters] = useState<LogFilters>({});
  // Validations and test sends are logged too: the logs reload after them.
  const [logsVersion, setLogsVersion] = useState(0);
  const refreshLogs = () => setLogsVersion((v) => v + 1);
  const webhook = loaded.data;

  return (
    <>
      <PageHeader
        title={webhook?.name ?? 'Webhook'}
        crumbs={[{ label: 'Webhooks', to: paths.list() }, { label: webhook?.name ?? 'Webhook' }]}
        actions={webhook && <ExportButton webhookId={webhook.id} filters={filters} />}
      >
        {webhook && <Summary webhook={webhook} />}
      </PageHeader>
      {loaded.state === 'loading' && !webhook && <Loading label="Loading the webhook…" />}
      {loaded.state === 'error' && !webhook && <ErrorNotice title="The webhook could not be loaded." error={loaded.error} onRetry={loaded.reload} />}
      {webhook && (
        <>
          {deactivationNotice(webhook) && <Notice kind="warning">{deactivationNotice(webhook)}</Notice>}
          {webhook.status === 'archived' && (
            <Notice kind="info">
              This webhook is archived: it receives no events and cannot be changed. Restore it from the{' '}
              <Link to={paths.archived()}>Archived</Link> list.
            </Notice>
          )}
          <Logs webhook={webhook} filters={filters} onFilters={setFilters} version={logsVersion} onRefresh={refreshLogs} />
          <section class="tools" aria-labelledby="tools-title">
            <h2 id="tools-title" class="section-title">
              Settings and tools
            </h2>
            <div class="tools-grid">
              <div class="card card-steps">
                <ActivationSteps
                  webhook={webhook}
                  onChange={(w) => {
                    loaded.set(w);
                    refreshLogs();
                  }}
                />
              </div>
              <TestEventPanel webhook={webhook} onSent={refreshLogs} />
              <SecretPanel webhook={webhook} />
            </div>
          </section>
        </>
      )}
    </>
  );
}

function Summary({ webhook }: { webhook: Webhook }) {
  return (
    <div class="summary">
      <div class="summary-badges">
        <StatusBadge status={webhook.status} />
        <ValidationBadge webhook={webhook} />
        {webhook.status !== 'archived' && (
          <Link to={paths.edit(webhook.id)} class="btn btn-small">
            Edit
          </Link>
        )}
      </div>
      <code class="url" title={webhook.url}>
        {webhook.url}
      </code>
      <EventTypeList types={webhook.eventTypes} />
    </div>
  );
}

function Logs(props: { webhook: Webhook; filters: LogFilters; onFilters: (f: LogFilters) => void; version: number; onRefresh: () => void }) {
  const { webhook, filters, onFilters, version } = props;
  const { api } = useApp();
  const logs = useLoad<Page<AttemptRecord>>(() => api.listLogs(webhook.id, filters), [webhook.id, filters.outcome, filters.eventType, version]);
  const more = useAction();
  const clear = useAction();
  const [confirming, setConfirming] = useState(false);
  const [cleared, setCleared] = useState(false);
  const records = logs.data?.items ?? [];

  const loadMore = () => {
    const current = logs.data;
    if (!current?.nextCursor) return;
    void more.run('more', async () => {
      const next = await api.listLogs(webhook.id, { ...filters, cursor: current.nextCursor });
      logs.set({ items: [...current.items, ...next.items.filter((n) => !current.items.some((c) => c.id === n.id))], nextCursor: next.nextCursor });
    });
  };
  const refresh = () => {
    setCleared(false);
    props.onRefresh();
  };

  return (
    <section class="logs" aria-labelledby="logs-title">
      <div class="section-header">
        <h2 id="logs-title" class="section-title">
          Logs
        </h2>
        <div class="button-row">
          <button type="button" class="btn" onClick={refresh} disabled={logs.state === 'loading'}>
            <RefreshIcon /> {logs.state === 'loading' ? 'Refreshing…' : 'Refresh'}
          </button>
          <button type="button" class="btn btn-danger-outline" onClick={() => setConfirming(true)} disabled={webhook.status === 'archived'}>
            Clear logs
          </button>
        </div>
      </div>

      {cleared && <Notice kind="success">Logs cleared.</Notice>}
      {clear.error && <ErrorNotice title="The logs were not cleared." error={clear.error} />}

      <DeliveryChart records={records} />

      <div class="filters" role="group" aria-label="Filter logs">
        <div class="field">
          <label for="filter-outcome">Outcome</label>
          <select id="filter-outcome" value={filters.outcome ?? ''} onChange={(e) => onFilters({ ...filters, outcome: (e.currentTarget.value || undefined) as Outcome | undefined })}>
            <option value="">All outcomes</option>
            <option value="succeeded">Succeeded</option>
            <option value="failed">Failed</option>
          </select>
        </div>
        <div class="field">
          <label for="filter-event-type">Event type</label>
          <select id="filter-event-type" value={filters.eventType ?? ''} onChange={(e) => onFilters({ ...filters, eventType: e.currentTarget.value || undefined })}>
            <option value="">All event types</option>
            {EVENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {EVENT_TYPE_NAMES[t]}
              </option>
            ))}
            <option value={VALIDATION_EVENT_TYPE}>Validation requests</option>
          </select>
        </div>
        <p class="muted filters-count" role="status">
          {logs.data ? `${records.length} ${records.length === 1 ? 'record' : 'records'} loaded${logs.data.nextCursor ? ', more available' : ''}.` : ''}
        </p>
      </div>

      {logs.state === 'loading' && !logs.data && <Loading label="Loading logs…" />}
      {logs.state === 'error' && <ErrorNotice title="The logs could not be loaded." error={logs.error} onRetry={logs.reload} />}
      {logs.data && records.length === 0 && (
        <div class="empty">
          <p>
            {filters.outcome || filters.eventType
              ? 'No records match these filters.'
              : 'No records yet. Deliveries, validation requests and test events show up here once they are sent.'}
          </p>
        </div>
      )}
      {records.length > 0 && (
        <div class="table-wrap">
          <table class="table table-logs">
            <caption class="visually-hidden">Records sent, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time (UTC)</th>
                <th scope="col">Event type</th>
                <th scope="col" class="num">
                  Attempt
                </th>
                <th scope="col">Outcome</th>
                <th scope="col" class="num">
                  Status code
                </th>
                <th scope="col" class="num">
                  Duration
                </th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {records.map((r) => (
                <tr key={r.id}>
                  <td data-label="Time (UTC)">
                    <time dateTime={r.attemptedAt}>{formatTime(r.attemptedAt)}</time>
                  </td>
                  <td data-label="Event type">
                    <span title={r.eventType}>{eventTypeLabel(r.eventType)}</span>
                    {r.kind && KIND_LABELS[r.kind] && r.eventType !== VALIDATION_EVENT_TYPE && <span class="badge badge-kind">{KIND_LABELS[r.kind]}</span>}
                  </td>
                  <td data-label="Attempt" class="num">
                    {r.attempt}
                  </td>
                  <td data-label="Outcome">
                    <OutcomeBadge outcome={r.outcome} />
                  </td>
                  <td data-label="Status code" class="num">
                    {r.statusCode ?? '—'}
                  </td>
                  <td data-label="Duration" class="num">
                    {formatDuration(r.durationMs)}
                  </td>
                  <td data-label="Error" class="cell-error">
                    {r.error && <span title={r.error}>{errorLabel(r.error)}</span>}
                    {r.nextAttemptAt && <span class="muted next-attempt">Next attempt {formatTime(r.nextAttemptAt)}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore show={Boolean(logs.data?.nextCursor)} pending={more.pending !== null} error={more.error ?? null} onLoad={loadMore} />

      <ConfirmDialog
        open={confirming}
        title="Clear logs?"
        confirmLabel="Clear logs"
        danger
        pending={clear.pending !== null}
        onCancel={() => setConfirming(false)}
        onConfirm={() =>
          void clear.run('clear', async () => {
            try {
              await api.clearLogs(webhook.id);
              props.onRefresh();
              setCleared(true);
            } finally {
              setConfirming(false);
            }
          })
        }
      >
        <p>
          This removes every log record of “{webhook.name}”. Deliveries are not affected. This cannot be undone; download
          the CSV first if you need the records.
        </p>
      </ConfirmDialog>
    </section>
  );
}
