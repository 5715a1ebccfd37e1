import * as z from 'zod';
import { EVENT_TYPES } from '../events/types';

/** Receivers' retry schedule: the wait before attempt 2, 3, ... (about 27 h in all). */
export const DEFAULT_RETRY_POLICY = {
  maxAttempts: 8,
  backoffSeconds: [5, 300, 1800, 7200, 18000, 36000, 36000],
};

export const webhookIdSchema = z.string().regex(/^wh_[0-9A-HJKMNP-TV-Z]{26}$/, 'Not a webhook id.');

export const retryPolicySchema = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(10).describe('Attempts in all; 1 means never retry.'),
    backoffSeconds: z
      .array(z.number().int().min(1).max(86_400))
      .max(9)
      .describe('The wait before attempt 2, 3, ...; exactly maxAttempts - 1 entries.'),
  })
  .refine((p) => p.backoffSeconds.length === p.maxAttempts - 1, {
    message: 'backoffSeconds must have exactly maxAttempts - 1 entries.',
    path: ['backoffSeconds'],
  });
export type RetryPolicy = z.infer<typeof retryPolicySchema>;

const eventTypesSchema = z
  .array(z.enum(EVENT_TYPES))
  .min(1, 'Choose at least one event type.')
  .refine((types) => new Set(types).size === types.length, 'Each event type may appear once.')
  // The refinement does not reach the JSON Schema; say it there too.
  .meta({ uniqueItems: true });

const nameSchema = z.string().trim().min(1, 'A name is required.').max(100, 'At most 100 characters.');
// The URL's finer rules (scheme, blocked addresses) depend on the deployment: see url-policy.
const urlSchema = z
  .string()
  .min(1, 'A URL is required.')
  .max(2048, 'At most 2048 characters.')
  .meta({ format: 'uri', description: 'Absolute https URL (http where the deployment allows it), no user:password; IP literals in blocked ranges are refused.' });

export const createWebhookSchema = z.strictObject({
  name: nameSchema,
  url: urlSchema,
  eventTypes: eventTypesSchema,
  retryPolicy: retryPolicySchema.optional(),
});
export type CreateWebhookInput = z.infer<typeof createWebhookSchema>;

export const patchWebhookSchema = z
  .strictObject({
    name: nameSchema.optional(),
    url: urlSchema.optional(),
    eventTypes: eventTypesSchema.optional(),
    retryPolicy: retryPolicySchema.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'Send at least one of name, url, eventTypes, retryPolicy.')
  .meta({ minProperties: 1 });
export type PatchWebhookInput = z.infer<typeof patchWebhookSchema>;

export const WEBHOOK_STATUSES = ['inactive', 'active', 'archived'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

export const validationSchema = z.object({
  status: z.enum(['unvalidated', 'succeeded', 'failed']),
  url: z.string().nullable().describe('The URL that was checked.'),
  checkedAt: z.string().nullable(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().int().nullable().optional(),
});
export type Validation = z.infer<typeof validationSchema>;

export const UNVALIDATED: Validation = {
  status: 'unvalidated',
  url: null,
  checkedAt: null,
  statusCode: null,
  error: null,
  durationMs: null,
};

/** The public webhook resource (no secret, no internal attributes). */
export const webhookViewSchema = z.object({
  id: webhookIdSchema,
  name: z.string(),
  url: z.string(),
  eventTypes: z.array(z.enum(EVENT_TYPES)),
  status: z.enum(WEBHOOK_STATUSES),
  deactivatedReason: z.enum(['failing']).nullable(),
  validation: validationSchema,
  retryPolicy: retryPolicySchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type WebhookView = z.infer<typeof webhookViewSchema>;

/** The stored webhook: the view plus what only the service sees. */
export interface Webhook extends WebhookView {
  tenantId: string;
  secret: string;
  /** The rotated-out secret, which still signs until previousSecretExpiresAt. */
  previousSecret: string | null;
  previousSecretExpiresAt: string | null;
  /** Log records up to this time are hidden (cleared) and purged in the background. */
  logsClearedAt: string | null;
  /** Set at the first delivery that exhausted its retries since the last success. */
  failingSince: string | null;
  failedDeliveries: number;
  /** Optimistic concurrency: every write is conditional on the version it read. */
  version: number;
}

export function toView(webhook: Webhook): WebhookView {
  return {
    id: webhook.id,
    name: webhook.name,
    url: webhook.url,
    eventTypes: webhook.eventTypes,
    status: webhook.status,
    deactivatedReason: webhook.deactivatedReason ?? null,
    validation: webhook.validation,
    retryPolicy: webhook.retryPolicy,
    createdAt: webhook.createdAt,
    updatedAt: webhook.updatedAt,
  };
}

/** The secrets that sign a delivery now: the current one, and a rotated-out one within its grace. */
export function signingSecrets(webhook: Webhook, now: number): string[] {
  const secrets = [webhook.secret];
  if (webhook.previousSecret && webhook.previousSecretExpiresAt && Date.parse(webhook.previousSecretExpiresAt) > now) {
    secrets.push(webhook.previousSecret);
  }
  return secrets;
}
