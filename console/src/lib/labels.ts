import { EVENT_TYPES, type EventType, type Validation, type Webhook, type WebhookStatus } from './types';

/** The seed's names for the event types (CONTRACT.md section 1). */
export const EVENT_TYPE_NAMES: Record<EventType, string> = {
  'assignment.completed': 'Assignment Completion',
  'content.completed': 'Content Completion',
  'badge.awarded': 'Badges Awarded',
  'workshop.attended': 'Workshop Attendance',
};

/** The type the service gives its validation requests in the logs. */
export const VALIDATION_EVENT_TYPE = 'webhook.validation';

/** A log's event type in words: the seed's name, or the raw type for anything else. */
export function eventTypeLabel(type: string): string {
  if (type === VALIDATION_EVENT_TYPE) return 'Validation request';
  return (EVENT_TYPE_NAMES as Record<string, string>)[type] ?? type;
}

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

const STATUS_LABELS: Record<WebhookStatus, string> = { active: 'Active', inactive: 'Inactive', archived: 'Archived' };

/** "Active", "Inactive" or "Archived". */
export function statusLabel(status: WebhookStatus): string {
  return STATUS_LABELS[status] ?? status;
}

export type ValidationState = 'validated' | 'not-validated' | 'failed';

/**
 * Where the webhook's current URL stands. A success recorded for another URL (the URL has
 * changed since) counts as not validated, because activation needs the current URL checked.
 */
export function validationState(webhook: Pick<Webhook, 'url' | 'validation'>): ValidationState {
  const v = webhook.validation;
  if (v.url !== null && v.url !== webhook.url) return 'not-validated';
  if (v.status === 'succeeded') return 'validated';
  if (v.status === 'failed') return 'failed';
  return 'not-validated';
}

const VALIDATION_LABELS: Record<ValidationState, string> = {
  validated: 'Validated',
  'not-validated': 'Not validated',
  failed: 'Validation failed',
};

/** "Validated", "Not validated" or "Validation failed". */
export function validationLabel(webhook: Pick<Webhook, 'url' | 'validation'>): string {
  return VALIDATION_LABELS[validationState(webhook)];
}

/** Why Activate is not available, or null when it is. Mirrors the API's 409s. */
export function activationBlocker(webhook: Pick<Webhook, 'url' | 'validation' | 'status'>): string | null {
  if (webhook.status === 'archived') return 'Archived webhooks cannot be activated. Restore it first.';
  if (webhook.status === 'active') return 'This webhook is already active.';
  const state = validationState(webhook);
  if (state === 'validated') return null;
  if (state === 'failed') return 'The last validation of this URL failed. Fix the receiver and validate again: Activate is available once validation succeeds.';
  return 'Validate the URL first: Activate is available once validation succeeds for the current URL.';
}

/** The API's attempt error codes (logs, validation, test sends) in words. */
const ERROR_TEXT: Record<string, { short: string; sentence: string }> = {
  timeout: { short: 'Timed out', sentence: 'the receiver did not answer in time' },
  connection_refused: { short: 'Connection refused', sentence: 'the receiver refused the connection' },
  dns: { short: 'Host not found', sentence: 'the host name could not be resolved' },
  blocked_address: { short: 'Address blocked', sentence: 'the receiver address is blocked' },
  tls: { short: 'TLS failed', sentence: 'the TLS handshake failed' },
  http_status: { short: 'Error status', sentence: 'the receiver answered with an error status' },
  redirect: { short: 'Redirect (not followed)', sentence: 'the receiver answered with a redirect, which is not followed' },
  network: { short: 'Connection failed', sentence: 'the connection to the receiver failed' },
  invalid_url: { short: 'Invalid URL', sentence: 'the URL is invalid' },
};

/** A log's error column: a short phrase for a known code, the text itself otherwise. */
export function errorLabel(error: string | null): string {
  if (!error) return '';
  return ERROR_TEXT[error]?.short ?? error;
}

/** Why an attempt failed, as the end of a sentence: the status code when there was one. */
export function failureReason(statusCode: number | null, error: string | null): string {
  if (statusCode !== null && (error === null || error === 'http_status')) return `the URL answered ${statusCode}`;
  if (statusCode !== null && error === 'redirect') return `the URL answered ${statusCode}, a redirect (not followed)`;
  if (error) return ERROR_TEXT[error]?.sentence ?? error;
  return 'no answer';
}

/** One line on a validation result: the status code or the error, and how long it took. */
export function describeValidation(v: Validation): string {
  if (v.status === 'unvalidated') return 'Not validated yet.';
  const took = typeof v.durationMs === 'number' ? ` in ${formatDuration(v.durationMs)}` : '';
  if (v.status === 'succeeded') return `Validation succeeded: the URL answered ${v.statusCode ?? '2xx'}${took}.`;
  return `Validation failed: ${failureReason(v.statusCode, v.error)}${took}.`;
}

/** "12 ms", "1.5 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** ISO time as "2026-12-04 12:00:00" in UTC, the zone the API and the CSV use. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toISOString().replace('T', ' ').slice(0, 19);
}

/** A short line for the reason the service stopped a webhook, or null. */
export function deactivationNotice(webhook: Pick<Webhook, 'status' | 'deactivatedReason'>): string | null {
  if (webhook.status !== 'inactive' || webhook.deactivatedReason !== 'failing') return null;
  return 'The service deactivated this webhook because its deliveries kept failing. Fix the receiver, validate the URL and activate it again; events published while it was inactive were not sent.';
}
