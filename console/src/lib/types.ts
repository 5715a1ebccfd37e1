/**
 * The public API's resources as the console reads them (CONTRACT.md section 3). The console
 * talks to the API only; these mirror the JSON, they are not imported from the service.
 */

export const EVENT_TYPES = ['assignment.completed', 'content.completed', 'badge.awarded', 'workshop.attended'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type WebhookStatus = 'inactive' | 'active' | 'archived';
export type ValidationStatus = 'unvalidated' | 'succeeded' | 'failed';

export interface Validation {
  status: ValidationStatus;
  url: string | null;
  checkedAt: string | null;
  statusCode: number | null;
  error: string | null;
  durationMs?: number | null;
}

export interface RetryPolicy {
  maxAttempts: number;
  backoffSeconds: number[];
}

export interface Webhook {
  id: string;
  name: string;
  url: string;
  eventTypes: EventType[];
  status: WebhookStatus;
  deactivatedReason?: 'failing' | null;
  validation: Validation;
  retryPolicy: RetryPolicy;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type Outcome = 'succeeded' | 'failed';

export interface AttemptRecord {
  id: string;
  eventId: string;
  eventType: string;
  attempt: number;
  attemptedAt: string;
  url: string;
  outcome: Outcome;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  nextAttemptAt: string | null;
  responseExcerpt: string;
  kind?: 'delivery' | 'redelivery' | 'recovery' | 'validation' | 'test';
}

export interface ExportView {
  id: string;
  webhookId: string;
  status: 'pending' | 'ready' | 'failed';
  rowCount: number | null;
  url: string | null;
  expiresAt: string | null;
  createdAt?: string;
  completedAt?: string | null;
  error?: string | null;
}

export interface LogFilters {
  outcome?: Outcome;
  eventType?: string;
}

export interface WebhookInput {
  name: string;
  url: string;
  eventTypes: EventType[];
  retryPolicy?: RetryPolicy;
}

export type WebhookPatch = Partial<WebhookInput>;

export interface ErrorDetail {
  path: string;
  message: string;
}
