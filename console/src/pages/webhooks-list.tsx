/** @jsxImportSource preact */
import { useState } from 'preact/hooks';
import { EventTypeList, StatusBadge, ValidationBadge } from '../components/badges';
import { PlusIcon } from '../components/icons';
import { Link, PageHeader } from '../components/layout';
import { ActionsMenu, type MenuItem } from '../components/menu';
import { ErrorNotice, LoadMore, Loading, Notice } from '../components/notice';
import { useApp } from '../lib/app-context';
import { activationBlocker, deactivationNotice, describeValidation } from '../lib/labels';
import { navigate, paths, takeFlash } from '../lib/router';
import type { Page, Webhook } from '../lib/types';
import { useAction, useLoad } from '../lib/use-async';

type Tab = 'current' | 'archived';

/** Developer Tools › Webhooks: the list, and the Archived tab with Restore. */
export function WebhooksList({ tab }: { tab: Tab }) {
  const { api } = useApp();
  const [flash, setFlash] = useState<string | null>(() => takeFlash());
  const list = useLoad<Page<Webhook>>(() => api.listWebhooks({ status: tab === 'archived' ? 'archived' : undefined }), [tab]);
  const more = useAction();
  const action = useAction();

  const replace = (updated: Webhook) => {
    if (!list.data) return;
    list.set({ ...list.data, items: list.data.items.map((w) => (w.id === updated.id ? updated : w)) });
  };
  const remove = (id: string) => {
    if (!list.data) return;
    list.set({ ...list.data, items: list.data.items.filter((w) => w.id !== id) });
  };
  const act = (label: string, w: Webhook, run: () => Promise<Webhook>, after: (updated: Webhook) => string) => {
    setFlash(null);
    void action.run(`${label}:${w.id}`, async () => {
      const updated = await run();
      setFlash(after(updated));
    });
  };

  const menuItems = (w: Webhook): MenuItem[] => {
    const blocker = activationBlocker(w);
    return [
      w.status === 'active'
        ? { label: 'Deactivate', onSelect: () => act('deactivate', w, () => api.deactivate(w.id), (u) => (replace(u), `“${w.name}” is inactive: it no longer receives events.`)) }
        : {
            label: 'Activate',
            disabled: blocker !== null,
            hint: blocker ? 'Validate the URL first' : undefined,
            onSelect: () => act('activate', w, () => api.activate(w.id), (u) => (replace(u), `“${w.name}” is active: events are being delivered.`)),
          },
      { label: 'Edit', onSelect: () => navigate(paths.edit(w.id)) },
      { label: 'Validate', onSelect: () => act('validate', w, () => api.validate(w.id), (u) => (replace(u), `“${w.name}”: ${describeValidation(u.validation)}`)) },
      {
        label: 'Archive',
        danger: true,
        onSelect: () => act('archive', w, () => api.archive(w.id), () => (remove(w.id), `“${w.name}” was archived. It is listed under Archived, where you can restore it.`)),
      },
    ];
  };

  const loadMore = () => {
    const current = list.data;
    if (!current?.nextCursor) return;
    void more.run('more', async () => {
      const next = await api.listWebhooks({ status: tab === 'archived' ? 'archived' : undefined, cursor: current.nextCursor });
      list.set({ items: [...current.items, ...next.items.filter((n) => !current.items.some((c) => c.id === n.id))], nextCursor: next.nextCursor });
    });
  };

  const pendingFor = (id: string) => (action.pending?.endsWith(`:${id}`) ? action.pending.split(':')[0] : null);

  return (
    <>
      <PageHeader
        title="Webhooks"
        actions={
          <Link to={paths.new()} class="btn btn-primary">
            <PlusIcon /> Add A Webhook
          </Link>
        }
      >
        <p class="lead">Send LMS events (completions, badges, attendance) to your systems as signed HTTP requests.</p>
      </PageHeader>

      <div class="tabs" role="navigation" aria-label="Webhook lists">
        <Link to={paths.list()} class={`tab${tab === 'current' ? ' tab-current' : ''}`} aria-current={tab === 'current' ? 'page' : undefined}>
          Webhooks
        </Link>
        <Link to={paths.archived()} class={`tab${tab === 'archived' ? ' tab-current' : ''}`} aria-current={tab === 'archived' ? 'page' : undefined}>
          Archived
        </Link>
      </div>

      <div class="live" aria-live="polite">
        {flash && <Notice kind="success">{flash}</Notice>}
      </div>
      {action.error && <ErrorNotice error={action.error} />}

      {list.state === 'error' && !list.data && <ErrorNotice title="The webhooks could not be loaded." error={list.error} onRetry={list.reload} />}
      {list.state === 'loading' && !list.data && <Loading label={tab === 'archived' ? 'Loading archived webhooks…' : 'Loading webhooks…'} />}

      {list.data && list.data.items.length === 0 && (
        <div class="empty">
          {tab === 'archived' ? (
            <p>No archived webhooks. Archiving a webhook moves it here; you can restore it at any time.</p>
          ) : (
            <>
              <p>No webhooks yet. Add one to send LMS events to your systems.</p>
              <Link to={paths.new()} class="btn btn-primary">
                <PlusIcon /> Add A Webhook
              </Link>
            </>
          )}
        </div>
      )}

      {list.data && list.data.items.length > 0 && (
        <div class="table-wrap">
          <table class="table table-webhooks">
            <caption class="visually-hidden">{tab === 'archived' ? 'Archived webhooks' : 'Webhooks'}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">URL</th>
                <th scope="col">Event types</th>
                <th scope="col">Status</th>
                <th scope="col">Validation</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((w) => {
                const pending = pendingFor(w.id);
                const reason = deactivationNotice(w);
                return (
                  <tr key={w.id} data-webhook-id={w.id}>
                    <td data-label="Name">
                      <Link to={paths.webhook(w.id)} class="row-title">
                        <span id={`name-${w.id}`}>{w.name}</span>
                      </Link>
                      {reason && (
                        <span class="row-warning" title={reason}>
                          Deactivated: deliveries kept failing
                        </span>
                      )}
                    </td>
                    <td data-label="URL">
                      <code class="url" title={w.url}>
                        {w.url}
                      </code>
                    </td>
                    <td data-label="Event types">
                      <EventTypeList types={w.eventTypes} />
                    </td>
                    <td data-label="Status">
                      <StatusBadge status={w.status} />
                    </td>
                    <td data-label="Validation">
                      <ValidationBadge webhook={w} />
                    </td>
                    <td class="cell-actions">
                      {pending && (
                        <span class="muted pending" role="status">
                          {pending === 'validate' ? 'Validating…' : 'Working…'}
                        </span>
                      )}
                      {tab === 'archived' ? (
                        <button
                          type="button"
                          class="btn btn-small"
                          aria-describedby={`name-${w.id}`}
                          disabled={pending !== null}
                          onClick={() => act('restore', w, () => api.restore(w.id), () => (remove(w.id), `“${w.name}” was restored. It is inactive: validate and activate it to resume deliveries.`))}
                        >
                          Restore
                        </button>
                      ) : (
                        <ActionsMenu items={menuItems(w)} describedBy={`name-${w.id}`} />
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      <LoadMore show={Boolean(list.data?.nextCursor)} pending={more.pending !== null} error={more.error ?? null} onLoad={loadMore} />
      {list.state === 'error' && list.data && <ErrorNotice error={list.error} onRetry={list.reload} />}
    </>
  );
}
