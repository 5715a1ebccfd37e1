import * as z from 'zod';
import { EVENT_TYPES } from '../../shared/events/types';
import { eventCatalog } from '../../shared/events/catalog';
import { attemptRecordSchema, logFiltersSchema } from '../../shared/logs/model';
import {
  createWebhookSchema,
  patchWebhookSchema,
  toView,
  webhookViewSchema,
  WEBHOOK_STATUSES,
} from '../../shared/webhooks/model';
import type { Services } from './services';

/** What a route's handler gets: the tenant from the authorizer, never from the request. */
export interface RouteContext<B = unknown, Q = unknown> {
  tenantId: string;
  params: Record<string, string>;
  body: B;
  query: Q;
  services: Services;
}

export interface RouteResult {
  status: number;
  body: unknown;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  operationId: string;
  summary: string;
  tag: 'Webhooks' | 'Logs' | 'Exports' | 'Catalog' | 'Service';
  auth: boolean;
  body?: z.ZodType;
  /** True when the body may be omitted (actions whose fields are all optional). */
  bodyOptional?: boolean;
  query?: z.ZodType;
  response: { status: number; description: string; schema?: z.ZodType };
  /** Error codes this route can answer besides 401/422/500, for the OpenAPI document. */
  errors?: number[];
  handle(ctx: RouteContext<any, any>): Promise<RouteResult>;
}

const limitSchema = z.coerce.number().int().min(1).max(100).default(50);
const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

const webhookWithSecretSchema = webhookViewSchema.extend({ secret: z.string().describe('whsec_ signing secret; shown here and at GET /secret.') });
const secretSchema = z.object({ secret: z.string() });

const listWebhooksQuery = z.object({
  status: z.enum(WEBHOOK_STATUSES).optional().describe('Default: all but archived.'),
  limit: limitSchema,
  cursor: z.string().max(2048).optional(),
});

const listLogsQuery = logFiltersSchema.extend({ limit: limitSchema, cursor: z.string().max(2048).optional() }).strip();

const testBody = z.strictObject({ eventType: z.enum(EVENT_TYPES) });
const recoverBody = z.strictObject({
  since: z.iso.datetime({ offset: true }).describe('Re-send events whose delivery ended failed since then.'),
  dryRun: z.boolean().optional(),
});

const exportViewSchema = z.object({
  id: z.string(),
  webhookId: z.string(),
  status: z.enum(['pending', 'ready', 'failed']),
  rowCount: z.number().int().nullable(),
  url: z.string().nullable().describe('Presigned download link once ready.'),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
  error: z.string().nullable(),
});

const catalogSchema = z.object({
  items: z.array(z.object({ type: z.string(), name: z.string(), description: z.string(), schema: z.record(z.string(), z.unknown()), example: z.record(z.string(), z.unknown()) })),
});

const W = '/v1/webhooks/{id}';

const action = (
  name: 'activate' | 'deactivate' | 'archive' | 'restore',
  summary: string,
): Route => ({
  method: 'POST',
  path: `${W}/${name}`,
  operationId: `${name}Webhook`,
  summary,
  tag: 'Webhooks',
  auth: true,
  response: { status: 200, description: 'The updated webhook.', schema: webhookViewSchema },
  errors: [404, 409],
  handle: async ({ tenantId, params, services }) => ({
    status: 200,
    body: toView(await services.webhooks.transition(tenantId, params.id!, name)),
  }),
});

/** Every route of the API. The router and the OpenAPI document are both built from this list. */
export const routes: Route[] = [
  {
    method: 'GET',
    path: '/health',
    operationId: 'health',
    summary: 'Liveness check (no authentication).',
    tag: 'Service',
    auth: false,
    response: { status: 200, description: 'The service is up.', schema: z.object({ status: z.literal('ok') }) },
    handle: async () => ({ status: 200, body: { status: 'ok' } }),
  },
  {
    method: 'GET',
    path: '/v1/event-types',
    operationId: 'listEventTypes',
    summary: 'The event types, with the JSON Schema of their data and an example body.',
    tag: 'Catalog',
    auth: true,
    response: { status: 200, description: 'The catalog.', schema: catalogSchema },
    handle: async () => ({ status: 200, body: { items: eventCatalog() } }),
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    operationId: 'openapi',
    summary: 'This document.',
    tag: 'Service',
    auth: true,
    response: {
      status: 200,
      description: 'The OpenAPI 3.1 document.',
      schema: z.looseObject({ openapi: z.literal('3.1.0'), info: z.record(z.string(), z.unknown()), paths: z.record(z.string(), z.unknown()) }),
    },
    handle: async ({ services }) => ({ status: 200, body: services.openapi() }),
  },
  {
    method: 'POST',
    path: '/v1/webhooks',
    operationId: 'createWebhook',
    summary: 'Create a webhook. It starts inactive and unvalidated; the response alone carries its secret.',
    tag: 'Webhooks',
    auth: true,
    body: createWebhookSchema,
    response: { status: 201, description: 'The new webhook, with its secret.', schema: webhookWithSecretSchema },
    handle: async ({ tenantId, body, services }) => {
      const { webhook, secret } = await services.webhooks.create(tenantId, body);
      return { status: 201, body: { ...toView(webhook), secret } };
    },
  },
  {
    method: 'GET',
    path: '/v1/webhooks',
    operationId: 'listWebhooks',
    summary: 'List webhooks, newest first.',
    tag: 'Webhooks',
    auth: true,
    query: listWebhooksQuery,
    response: { status: 200, description: 'A page of webhooks.', schema: page(webhookViewSchema) },
    handle: async ({ tenantId, query, services }) => {
      const result = await services.webhooks.list(tenantId, query);
      return { status: 200, body: { items: result.items.map(toView), nextCursor: result.nextCursor } };
    },
  },
  {
    method: 'GET',
    path: W,
    operationId: 'getWebhook',
    summary: 'One webhook.',
    tag: 'Webhooks',
    auth: true,
    response: { status: 200, description: 'The webhook.', schema: webhookViewSchema },
    errors: [404],
    handle: async ({ tenantId, params, services }) => ({ status: 200, body: toView(await services.webhooks.get(tenantId, params.id!)) }),
  },
  {
    method: 'PATCH',
    path: W,
    operationId: 'updateWebhook',
    summary: 'Change name, url, eventTypes or retryPolicy. A new URL on an active webhook is validated before it is saved.',
    tag: 'Webhooks',
    auth: true,
    body: patchWebhookSchema,
    response: { status: 200, description: 'The updated webhook.', schema: webhookViewSchema },
    errors: [404, 409],
    handle: async ({ tenantId, params, body, services }) => ({
      status: 200,
      body: toView(await services.webhooks.update(tenantId, params.id!, body)),
    }),
  },
  {
    method: 'POST',
    path: `${W}/validate`,
    operationId: 'validateWebhook',
    summary: 'Send a signed webhook.validation request to the URL now and record the result.',
    tag: 'Webhooks',
    auth: true,
    response: { status: 200, description: 'The webhook with its validation result.', schema: webhookViewSchema },
    errors: [404, 409],
    handle: async ({ tenantId, params, services }) => ({ status: 200, body: toView(await services.webhooks.validate(tenantId, params.id!)) }),
  },
  action('activate', 'Start firing. Needs a successful validation of the current URL.'),
  action('deactivate', 'Stop firing; the configuration, secret and logs are kept.'),
  action('archive', 'Move to the Archived section (an active webhook is deactivated first).'),
  action('restore', 'Bring back from the archive, inactive.'),
  {
    method: 'GET',
    path: `${W}/secret`,
    operationId: 'getWebhookSecret',
    summary: 'The signing secret.',
    tag: 'Webhooks',
    auth: true,
    response: { status: 200, description: 'The secret.', schema: secretSchema },
    errors: [404],
    handle: async ({ tenantId, params, services }) => ({ status: 200, body: { secret: await services.webhooks.secret(tenantId, params.id!) } }),
  },
  {
    method: 'POST',
    path: `${W}/secret/rotate`,
    operationId: 'rotateWebhookSecret',
    summary: 'Issue a new secret; the old one still signs (a second signature) for 24 hours.',
    tag: 'Webhooks',
    auth: true,
    response: { status: 200, description: 'The new secret.', schema: secretSchema },
    errors: [404, 409],
    handle: async ({ tenantId, params, services }) => ({ status: 200, body: { secret: (await services.webhooks.rotateSecret(tenantId, params.id!)).secret } }),
  },
  {
    method: 'POST',
    path: `${W}/test`,
    operationId: 'sendTestEvent',
    summary:
      "Send the event type's example now to any webhook that is not archived (inactive too), marked as a test: the body carries \"test\": true. Logged with kind test.",
    tag: 'Webhooks',
    auth: true,
    body: testBody,
    response: { status: 200, description: 'The attempt.', schema: attemptRecordSchema },
    errors: [404, 409],
    handle: async ({ tenantId, params, body, services }) => ({ status: 200, body: await services.webhooks.testSend(tenantId, params.id!, body.eventType) }),
  },
  {
    method: 'GET',
    path: `${W}/logs`,
    operationId: 'listLogs',
    summary: 'The attempts sent, newest first.',
    tag: 'Logs',
    auth: true,
    query: listLogsQuery,
    response: { status: 200, description: 'A page of attempt records.', schema: page(attemptRecordSchema) },
    errors: [404],
    handle: async ({ tenantId, params, query, services }) => ({ status: 200, body: await services.logs.list(tenantId, params.id!, query) }),
  },
  {
    method: 'DELETE',
    path: `${W}/logs`,
    operationId: 'clearLogs',
    summary: "Clear the webhook's logs (archived webhooks too); a list right after shows none, and the records are deleted in the background.",
    tag: 'Logs',
    auth: true,
    response: { status: 202, description: 'Cleared; old records are deleted in the background.', schema: z.object({ status: z.literal('cleared') }) },
    errors: [404, 409],
    handle: async ({ tenantId, params, services }) => {
      await services.logs.clear(tenantId, params.id!);
      return { status: 202, body: { status: 'cleared' } };
    },
  },
  {
    method: 'POST',
    path: `${W}/logs/export`,
    operationId: 'exportLogs',
    summary: 'Start a CSV export of the logs (same filters as the list, in the body; no body exports everything). Poll GET /v1/exports/{id}.',
    tag: 'Exports',
    auth: true,
    body: logFiltersSchema,
    bodyOptional: true,
    response: { status: 202, description: 'The export started.', schema: z.object({ id: z.string(), status: z.literal('pending') }) },
    errors: [404],
    handle: async ({ tenantId, params, body, services }) => {
      const job = await services.logs.startExport(tenantId, params.id!, body ?? {});
      return { status: 202, body: { id: job.id, status: job.status } };
    },
  },
  {
    method: 'GET',
    path: '/v1/exports/{id}',
    operationId: 'getExport',
    summary: 'An export: pending, then ready (url is a presigned download link, valid 15 minutes, no API key needed) or failed (error says why).',
    tag: 'Exports',
    auth: true,
    response: { status: 200, description: 'The export.', schema: exportViewSchema },
    errors: [404],
    handle: async ({ tenantId, params, services }) => ({ status: 200, body: await services.logs.getExport(tenantId, params.id!) }),
  },
  {
    method: 'POST',
    path: `${W}/events/{eventId}/redeliver`,
    operationId: 'redeliverEvent',
    summary: 'Send a logged event to this webhook again, as a new delivery.',
    tag: 'Logs',
    auth: true,
    response: { status: 202, description: 'Enqueued.', schema: z.object({ deliveryId: z.string() }) },
    errors: [404, 409],
    handle: async ({ tenantId, params, services }) => ({ status: 202, body: await services.logs.redeliver(tenantId, params.id!, params.eventId!) }),
  },
  {
    method: 'POST',
    path: `${W}/recover`,
    operationId: 'recoverFailed',
    summary: 'Re-send every event whose delivery to this webhook ended failed since a time.',
    tag: 'Logs',
    auth: true,
    body: recoverBody,
    response: { status: 202, description: 'How many were (or, with dryRun, would be) re-sent.', schema: z.object({ count: z.number().int() }) },
    errors: [404, 409],
    handle: async ({ tenantId, params, body, services }) => ({
      status: 202,
      body: await services.logs.recover(tenantId, params.id!, body.since, body.dryRun ?? false),
    }),
  },
];

/** Path parameters that name ids, by what they name: a malformed one is simply not found. */
export const ID_PATTERNS = {
  webhook: /^wh_[0-9A-HJKMNP-TV-Z]{26}$/,
  export: /^exp_[0-9A-HJKMNP-TV-Z]{26}$/,
  event: /^evt_[0-9A-HJKMNP-TV-Z]{26}$/,
} as const;
