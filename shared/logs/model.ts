import * as z from 'zod';
import { EVENT_TYPES, VALIDATION_EVENT_TYPE } from '../events/types';

export const ATTEMPT_KINDS = ['delivery', 'redelivery', 'recovery', 'validation', 'test'] as const;
export type AttemptKind = (typeof ATTEMPT_KINDS)[number];

/** One attempt as the API shows it (contract section 5), plus what kind of send it was. */
export const attemptRecordSchema = z.object({
  id: z.string().describe('att_ id of this attempt.'),
  eventId: z.string(),
  eventType: z.string(),
  attempt: z.number().int().min(1),
  attemptedAt: z.string(),
  url: z.string(),
  outcome: z.enum(['succeeded', 'failed']),
  statusCode: z.number().int().nullable(),
  durationMs: z.number().int(),
  error: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  responseExcerpt: z.string(),
  kind: z.enum(ATTEMPT_KINDS).describe('delivery, redelivery, recovery, validation or test.'),
  deliveryId: z.string().nullable().describe('Groups the attempts of one delivery.'),
});
export type AttemptRecord = z.infer<typeof attemptRecordSchema>;

/** Stored alongside: which tenant and webhook, and whether this attempt ended a failed delivery. */
export interface StoredAttempt extends AttemptRecord {
  tenantId: string;
  webhookId: string;
  /** True on the last attempt of a delivery that failed (retries exhausted or stopped). */
  terminal: boolean;
}

export function toRecord(stored: StoredAttempt): AttemptRecord {
  const { tenantId: _t, webhookId: _w, terminal: _x, ...record } = stored;
  return record;
}

/** Event types a log record can carry: the four of the catalog, and validation requests. */
export const LOGGED_EVENT_TYPES = [...EVENT_TYPES, VALIDATION_EVENT_TYPE] as const;

/**
 * The filters of a log list and of a CSV export. A typo in eventType is refused (422) rather
 * than silently matching nothing. since >= until is refused by the service.
 */
export const logFiltersSchema = z.strictObject({
  outcome: z.enum(['succeeded', 'failed']).optional(),
  eventType: z.enum(LOGGED_EVENT_TYPES).optional().describe('One event type, or webhook.validation.'),
  since: z.iso.datetime({ offset: true }).optional().describe('ISO-8601; attempts started at or after.'),
  until: z.iso.datetime({ offset: true }).optional().describe('ISO-8601; attempts started before.'),
});
export type LogFilters = z.infer<typeof logFiltersSchema>;
