/** @jsxImportSource preact */
import { useApp } from '../lib/app-context';
import { activationBlocker, describeValidation, validationState } from '../lib/labels';
import type { Webhook } from '../lib/types';
import { useAction } from '../lib/use-async';
import { ErrorNotice } from './notice';

/**
 * Validate, then Activate: Activate stays disabled, with the reason, until validation has
 * succeeded for the current URL (the API refuses it otherwise with 409 validation_required).
 */
export function ActivationSteps({ webhook, onChange, headingLevel = 3 }: { webhook: Webhook; onChange: (w: Webhook) => void; headingLevel?: 2 | 3 }) {
  const { api } = useApp();
  const action = useAction();
  const blocker = activationBlocker(webhook);
  const state = validationState(webhook);
  const checkedCurrentUrl = webhook.validation.url === webhook.url && webhook.validation.status !== 'unvalidated';
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  const archived = webhook.status === 'archived';

  return (
    <section class="steps" aria-labelledby={`steps-${webhook.id}`}>
      <Heading id={`steps-${webhook.id}`} class="card-title">
        Validate and activate
      </Heading>
      <ol class="step-list">
        <li class="step">
          <div class="step-text">
            <strong>Validate</strong>
            <span class="muted"> sends a signed <code>webhook.validation</code> request to the URL now; a 2xx answer passes.</span>
            {checkedCurrentUrl && (
              <p class={`result result-${state}`} role="status" data-testid="validation-result">
                {describeValidation(webhook.validation)}
              </p>
            )}
          </div>
          <button
            type="button"
            class="btn"
            disabled={archived || action.pending !== null}
            onClick={() => void action.run('validate', async () => onChange(await api.validate(webhook.id)))}
          >
            {action.pending === 'validate' ? 'Validating…' : 'Validate'}
          </button>
        </li>
        <li class="step">
          <div class="step-text">
            <strong>Activate</strong>
            <span class="muted"> starts deliveries of the chosen event types.</span>
            {webhook.status === 'active' ? (
              <p class="result result-validated" role="status">
                Active: events are being delivered.
              </p>
            ) : (
              blocker && (
                <p class="step-hint" id={`activate-hint-${webhook.id}`}>
                  {blocker}
                </p>
              )
            )}
          </div>
          {webhook.status === 'active' ? (
            <button
              type="button"
              class="btn"
              disabled={action.pending !== null}
              onClick={() => void action.run('deactivate', async () => onChange(await api.deactivate(webhook.id)))}
            >
              {action.pending === 'deactivate' ? 'Deactivating…' : 'Deactivate'}
            </button>
          ) : (
            <button
              type="button"
              class="btn btn-primary"
              disabled={blocker !== null || action.pending !== null}
              aria-describedby={blocker ? `activate-hint-${webhook.id}` : undefined}
              onClick={() => void action.run('activate', async () => onChange(await api.activate(webhook.id)))}
            >
              {action.pending === 'activate' ? 'Activating…' : 'Activate'}
            </button>
          )}
        </li>
      </ol>
      {action.error && <ErrorNotice error={action.error} />}
    </section>
  );
}
