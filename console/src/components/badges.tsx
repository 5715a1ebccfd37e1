/** @jsxImportSource preact */
import { EVENT_TYPE_NAMES, eventTypeLabel, statusLabel, validationLabel, validationState } from '../lib/labels';
import type { EventType, Webhook, WebhookStatus } from '../lib/types';

export function StatusBadge({ status }: { status: WebhookStatus }) {
  return <span class={`badge badge-status-${status}`}>{statusLabel(status)}</span>;
}

export function ValidationBadge({ webhook }: { webhook: Pick<Webhook, 'url' | 'validation'> }) {
  return <span class={`badge badge-validation-${validationState(webhook)}`}>{validationLabel(webhook)}</span>;
}

export function EventTypeList({ types }: { types: readonly EventType[] }) {
  return (
    <ul class="chips" aria-label="Event types">
      {types.map((t) => (
        <li key={t} class="chip" title={t}>
          {EVENT_TYPE_NAMES[t] ?? eventTypeLabel(t)}
        </li>
      ))}
    </ul>
  );
}

export function OutcomeBadge({ outcome }: { outcome: 'succeeded' | 'failed' }) {
  return <span class={`badge badge-outcome-${outcome}`}>{outcome === 'succeeded' ? 'Succeeded' : 'Failed'}</span>;
}
