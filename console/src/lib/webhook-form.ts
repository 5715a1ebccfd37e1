import type { FormField } from './field-errors';
import { EVENT_TYPES, type EventType, type RetryPolicy, type Webhook, type WebhookInput, type WebhookPatch } from './types';

/** The API's default schedule (CONTRACT.md section 3): the wait before attempt 2, 3, ... */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, backoffSeconds: [5, 300, 1800, 7200, 18000, 36000, 36000] };
const LONGEST_DEFAULT_WAIT = 36000;

/** What the form holds: text as typed, so that a half-typed number is not lost. */
export interface WebhookFormValues {
  name: string;
  url: string;
  eventTypes: EventType[];
  maxAttempts: string;
  backoffSeconds: string;
}

export function formatBackoff(seconds: readonly number[]): string {
  return seconds.join(', ');
}

/** The default schedule cut or extended to `maxAttempts - 1` waits. */
export function defaultBackoff(maxAttempts: number): number[] {
  const n = Math.max(0, Math.min(9, maxAttempts - 1));
  const waits = DEFAULT_RETRY_POLICY.backoffSeconds.slice(0, n);
  while (waits.length < n) waits.push(LONGEST_DEFAULT_WAIT);
  return waits;
}

export function emptyForm(): WebhookFormValues {
  return {
    name: '',
    url: '',
    eventTypes: [],
    maxAttempts: String(DEFAULT_RETRY_POLICY.maxAttempts),
    backoffSeconds: formatBackoff(DEFAULT_RETRY_POLICY.backoffSeconds),
  };
}

export function formFromWebhook(webhook: Webhook): WebhookFormValues {
  return {
    name: webhook.name,
    url: webhook.url,
    eventTypes: [...webhook.eventTypes],
    maxAttempts: String(webhook.retryPolicy.maxAttempts),
    backoffSeconds: formatBackoff(webhook.retryPolicy.backoffSeconds),
  };
}

export type ParsedRetry = { ok: true; policy: RetryPolicy } | { ok: false; errors: Partial<Record<FormField, string>> };

/**
 * Reads the retry fields. Only what a browser can tell for sure is checked here (numbers,
 * whole seconds); the limits are the API's to enforce, and its 422 lands on the same fields.
 */
export function parseRetry(values: Pick<WebhookFormValues, 'maxAttempts' | 'backoffSeconds'>): ParsedRetry {
  const errors: Partial<Record<FormField, string>> = {};
  const attemptsText = values.maxAttempts.trim();
  const maxAttempts = Number(attemptsText);
  if (!attemptsText || !Number.isInteger(maxAttempts)) errors.maxAttempts = 'Enter a whole number of attempts (1 to 10).';
  const parts = values.backoffSeconds.split(/[\s,]+/).filter(Boolean);
  const backoffSeconds = parts.map(Number);
  if (parts.some((p, i) => !/^\d+$/.test(p) || !Number.isInteger(backoffSeconds[i]))) {
    errors.backoffSeconds = 'Enter whole seconds separated by commas, e.g. 5, 300, 1800.';
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, policy: { maxAttempts, backoffSeconds } };
}

const samePolicy = (a: RetryPolicy, b: RetryPolicy) =>
  a.maxAttempts === b.maxAttempts && a.backoffSeconds.length === b.backoffSeconds.length && a.backoffSeconds.every((s, i) => s === b.backoffSeconds[i]);

/** Event types in the catalog's order, whatever order they were toggled in. */
export function orderedEventTypes(types: readonly EventType[]): EventType[] {
  return EVENT_TYPES.filter((t) => types.includes(t));
}

export type Built<T> = { ok: true; body: T } | { ok: false; errors: Partial<Record<FormField, string>> };

/** The create body; retryPolicy only when it differs from the default (the API's default then applies). */
export function toCreateBody(values: WebhookFormValues): Built<WebhookInput> {
  const retry = parseRetry(values);
  if (!retry.ok) return retry;
  const body: WebhookInput = { name: values.name.trim(), url: values.url.trim(), eventTypes: orderedEventTypes(values.eventTypes) };
  if (!samePolicy(retry.policy, DEFAULT_RETRY_POLICY)) body.retryPolicy = retry.policy;
  return { ok: true, body };
}

/** The PATCH body: only what changed, so an unchanged URL is never re-validated. */
export function toPatchBody(original: Webhook, values: WebhookFormValues): Built<WebhookPatch> {
  const retry = parseRetry(values);
  if (!retry.ok) return retry;
  const body: WebhookPatch = {};
  const name = values.name.trim();
  const url = values.url.trim();
  const eventTypes = orderedEventTypes(values.eventTypes);
  if (name !== original.name) body.name = name;
  if (url !== original.url) body.url = url;
  const before = orderedEventTypes(original.eventTypes);
  if (eventTypes.length !== before.length || eventTypes.some((t, i) => t !== before[i])) body.eventTypes = eventTypes;
  if (!samePolicy(retry.policy, original.retryPolicy)) body.retryPolicy = retry.policy;
  return { ok: true, body };
}

/** True when saving would change the URL of an active webhook: the API validates it first. */
export function urlChangeNeedsValidation(original: Pick<Webhook, 'status' | 'url'>, values: Pick<WebhookFormValues, 'url'>): boolean {
  return original.status === 'active' && values.url.trim() !== '' && values.url.trim() !== original.url;
}

/** The errors still worth showing after an edit: a field's error goes once its value changes. */
export function clearChangedErrors(
  errors: Partial<Record<FormField, string>>,
  before: WebhookFormValues,
  after: WebhookFormValues,
): Partial<Record<FormField, string>> {
  const next = { ...errors };
  for (const field of Object.keys(errors) as FormField[]) {
    const changed = field === 'eventTypes' ? before.eventTypes.join() !== after.eventTypes.join() : before[field] !== after[field];
    if (changed) delete next[field];
  }
  return next;
}
