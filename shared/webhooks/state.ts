import { Conflict } from '../errors';
import type { Webhook, WebhookStatus } from './model';

/**
 * The lifecycle rules, as pure functions from a webhook to its next state. The service
 * applies them and saves the result with a conditional write.
 */
export type Transition = 'activate' | 'deactivate' | 'archive' | 'restore' | 'edit';

export function assertEditable(webhook: Webhook): void {
  if (webhook.status === 'archived') {
    throw new Conflict('archived', 'This webhook is archived. Restore it before changing it.');
  }
}

/** True when validation succeeded for exactly the URL the webhook has now. */
export function isValidatedForCurrentUrl(webhook: Webhook): boolean {
  return webhook.validation.status === 'succeeded' && webhook.validation.url === webhook.url;
}

/** The status after a transition, or a Conflict explaining why it is refused. */
export function nextStatus(webhook: Webhook, transition: Transition): WebhookStatus {
  const { status } = webhook;
  switch (transition) {
    case 'activate':
      assertEditable(webhook);
      // Already firing: a later failed re-validation does not make activate a conflict.
      if (status === 'active') return 'active';
      if (!isValidatedForCurrentUrl(webhook)) {
        throw new Conflict(
          'validation_required',
          'Validate this webhook first: activation needs a successful validation of its current URL.',
        );
      }
      return 'active';
    case 'deactivate':
      assertEditable(webhook);
      return 'inactive';
    case 'archive':
      // An active webhook is deactivated on the way: archiving never leaves one firing.
      return 'archived';
    case 'restore':
      if (status !== 'archived') {
        throw new Conflict('not_archived', 'Only an archived webhook can be restored.');
      }
      return 'inactive';
    case 'edit':
      assertEditable(webhook);
      return status;
  }
}
