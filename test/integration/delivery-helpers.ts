import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import type { LocalStack } from '../../infra/local/stack';
import { exampleData } from '../../shared/events/examples';
import type { RetryPolicy } from '../../shared/webhooks/model';
import { eventually, publish, type ApiClient } from '../fixtures/api';

/** A request a receiver got that was a delivery (validation requests are answered and left out). */
export interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  json: { id: string; type: string; webhookId: string; [key: string]: unknown };
  at: number;
}

export type Answer = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number };

/**
 * A real receiver on 127.0.0.1 that passes validation and answers deliveries as scripted
 * (by the delivery's index). It can be stopped and started again on the same port, to play a
 * receiver that is down for a while.
 */
export async function deliveryReceiver(answer: (n: number, d: Delivery) => Answer = () => ({ status: 200 }), port = 0) {
  const deliveries: Delivery[] = [];
  let server: Server | undefined;
  const listen = async (onPort: number) => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const json = JSON.parse(body) as Delivery['json'];
        if (json.type === 'webhook.validation') {
          res.writeHead(200).end('ok');
          return;
        }
        const delivery = { headers: req.headers, body, json, at: Date.now() };
        const a = answer(deliveries.push(delivery) - 1, delivery);
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
          res.end(a.body ?? '');
        };
        if (a.delayMs) setTimeout(send, a.delayMs);
        else send();
      });
    });
    await new Promise<void>((resolve) => server!.listen(onPort, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };
  const actualPort = await listen(port);
  const stop = async () => {
    if (!server) return;
    const s = server;
    server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  return {
    url: `http://127.0.0.1:${actualPort}/hook`,
    port: actualPort,
    deliveries,
    /** Down: the port refuses connections. */
    stop,
    /** Back up on the same port. */
    start: async () => void (await listen(actualPort)),
    close: stop,
  };
}
export type DeliveryReceiver = Awaited<ReturnType<typeof deliveryReceiver>>;

/** Creates, validates and activates a webhook through the API, as an admin would. */
export async function activeWebhook(
  api: ApiClient,
  url: string,
  options: { eventTypes?: string[]; retryPolicy?: RetryPolicy; name?: string } = {},
): Promise<{ id: string; secret: string; verifier: StandardWebhook }> {
  const created = await api.post('/v1/webhooks', {
    name: options.name ?? 'Delivery test',
    url,
    eventTypes: options.eventTypes ?? ['badge.awarded'],
    ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
  });
  expect(created.status, created.text).toBe(201);
  const id = created.body.id as string;
  const validated = await api.post(`/v1/webhooks/${id}/validate`);
  expect(validated.body.validation?.status, validated.text).toBe('succeeded');
  const activated = await api.post(`/v1/webhooks/${id}/activate`);
  expect(activated.status, activated.text).toBe(200);
  return { id, secret: created.body.secret, verifier: new StandardWebhook(created.body.secret) };
}

/** Publishes badge.awarded events for the local tenant through EventBridge. */
export function publishBadges(stack: LocalStack, ids: (string | undefined)[], tenantId = 'local') {
  return publish(
    stack.endpoint,
    stack.provisioned.names.eventBus,
    ids.map((id) => ({ type: 'badge.awarded', detail: { tenantId, ...(id ? { id } : {}), data: exampleData('badge.awarded') } })),
  );
}

export interface LogItem {
  id: string;
  eventId: string;
  attempt: number;
  attemptedAt: string;
  outcome: 'succeeded' | 'failed';
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  nextAttemptAt: string | null;
  responseExcerpt: string;
  kind: string;
  deliveryId: string | null;
  url: string;
}

/** The webhook's delivery attempts (no validation records), oldest first. */
export async function deliveryLogs(api: ApiClient, webhookId: string): Promise<LogItem[]> {
  const res = await api.get(`/v1/webhooks/${webhookId}/logs?limit=100`);
  expect(res.status, res.text).toBe(200);
  return (res.body.items as LogItem[]).filter((r) => r.kind !== 'validation').reverse();
}

/** Waits until the webhook's log satisfies `check`, and returns it. */
export function logsUntil(api: ApiClient, webhookId: string, check: (items: LogItem[]) => boolean, timeoutMs = 20_000): Promise<LogItem[]> {
  return eventually(async () => {
    const items = await deliveryLogs(api, webhookId);
    return check(items) ? items : undefined;
  }, timeoutMs);
}

/**
 * The structured log lines the functions write (they run in this process on the local stack).
 * Captured rather than printed; set DEBUG_LOGS=1 to see them too.
 */
export function captureLogLines() {
  const lines: Record<string, unknown>[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = String(chunk);
    for (const line of text.split('\n')) {
      if (!line.startsWith('{"level"')) continue;
      try {
        lines.push(JSON.parse(line));
      } catch {
        // Not one of ours.
      }
    }
    if (process.env.DEBUG_LOGS || !text.startsWith('{')) return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    return true;
  }) as typeof process.stdout.write;
  return {
    lines,
    /** Waits for a line whose message and fields match. */
    waitFor(message: string | RegExp, fields: Record<string, unknown> = {}, timeoutMs = 20_000) {
      return eventually(async () =>
        lines.find(
          (l) =>
            (typeof message === 'string' ? l.message === message : message.test(String(l.message))) &&
            Object.entries(fields).every(([k, v]) => JSON.stringify(l[k]) === JSON.stringify(v)),
        ),
      timeoutMs);
    },
    restore() {
      process.stdout.write = original;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Receivers a test file starts, closed together in afterAll. */
export function receiverPool() {
  const all: DeliveryReceiver[] = [];
  return {
    async receiver(...args: Parameters<typeof deliveryReceiver>): Promise<DeliveryReceiver> {
      const r = await deliveryReceiver(...args);
      all.push(r);
      return r;
    },
    closeAll: () => Promise.all(all.map((r) => r.close())),
  };
}

/** Publisher ids unique within a run, so events of one test never dedupe against another's. */
export function uniqueIds(prefix: string): () => string {
  let n = 0;
  return () => `${prefix}-${Date.now()}-${++n}`;
}
