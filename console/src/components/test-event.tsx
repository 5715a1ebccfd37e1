/** @jsxImportSource preact */
import { useState } from 'preact/hooks';
import { useApp } from '../lib/app-context';
import { EVENT_TYPE_NAMES, failureReason, formatDuration } from '../lib/labels';
import { EVENT_TYPES, type AttemptRecord, type EventType, type Webhook } from '../lib/types';
import { useAction } from '../lib/use-async';
import { ErrorNotice } from './notice';

/** One line on a test send's attempt. */
export function describeAttempt(a: Pick<AttemptRecord, 'outcome' | 'statusCode' | 'durationMs' | 'error'>): string {
  const took = ` in ${formatDuration(a.durationMs)}`;
  if (a.outcome === 'succeeded') return `Delivered: the URL answered ${a.statusCode ?? '2xx'}${took}.`;
  return `Not delivered: ${failureReason(a.statusCode, a.error)}${took}.`;
}

/** Sends the chosen event type's example now, marked as a test, and shows the attempt. */
export function TestEventPanel({ webhook, onSent }: { webhook: Webhook; onSent?: () => void }) {
  const { api } = useApp();
  const choices: EventType[] = webhook.eventTypes.length > 0 ? webhook.eventTypes : [...EVENT_TYPES];
  const [type, setType] = useState<EventType>(choices[0]!);
  const [result, setResult] = useState<AttemptRecord | null>(null);
  const action = useAction();
  const selected = choices.includes(type) ? type : choices[0]!;

  return (
    <section class="card" aria-labelledby="test-title">
      <h3 id="test-title" class="card-title">
        Send test event
      </h3>
      <p class="muted">Sends the event type's example to the URL now, marked as a test. It shows up in the logs.</p>
      <div class="field-row">
        <div class="field field-grow">
          <label for="test-event-type">Event type to send</label>
          <select id="test-event-type" value={selected} onChange={(e) => setType(e.currentTarget.value as EventType)}>
            {choices.map((t) => (
              <option key={t} value={t}>
                {EVENT_TYPE_NAMES[t]}
              </option>
            ))}
          </select>
        </div>
        <button
          type="button"
          class="btn field-row-button"
          disabled={webhook.status === 'archived' || action.pending !== null}
          onClick={() =>
            void action.run('test', async () => {
              setResult(null);
              setResult(await api.sendTest(webhook.id, selected));
              onSent?.();
            })
          }
        >
          {action.pending === 'test' ? 'Sending…' : 'Send test event'}
        </button>
      </div>
      {result && (
        <p class={`result result-${result.outcome === 'succeeded' ? 'validated' : 'failed'}`} role="status">
          {describeAttempt(result)}
        </p>
      )}
      {action.error && <ErrorNotice error={action.error} />}
    </section>
  );
}
