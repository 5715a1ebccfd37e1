import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import type { StoredEvent } from '../../shared/delivery/event-store';
import type { QueuedTask } from '../../shared/delivery/task';
import { exampleData } from '../../shared/events/examples';
import { eventIdFor, newId } from '../../shared/ids';
import type { StoredAttempt } from '../../shared/logs/model';
import { LogService, RETRY_OVERDUE_MS, type LogServiceDeps } from '../../shared/logs/service';
import type { Webhook } from '../../shared/webhooks/model';
import { apiClient, eventually, publish, type ApiClient } from '../fixtures/api';
import { activeWebhook, deliveryLogs, logsUntil, publishBadges, receiverPool, uniqueIds } from './delivery-helpers';
import { webhookFixture } from '../fixtures/webhooks';

describe('redeliver and recover through the API', () => {
  let stack: LocalStack;
  let api: ApiClient;
  const pool = receiverPool();
  const receiver = pool.receiver;
  const uniqueId = uniqueIds('redo');
  const once = { maxAttempts: 1, backoffSeconds: [] };

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      awsPort: 0,
      apiKey: 'redelivery-key-0123456789',
      allowLoopback: true,
      config: { attemptTimeoutMs: '1500', webhookCacheTtlMs: '0' },
    });
    api = apiClient(stack.apiUrl, stack.apiKey);
  });
  afterAll(async () => {
    await pool.closeAll();
    await stack?.stop();
  });

  it('redelivers an event as a new delivery: 202, the same webhook-id, a new deliveryId, kind redelivery', async () => {
    const r = await receiver();
    const hook = await activeWebhook(api, r.url);
    const publisherId = uniqueId();
    await publishBadges(stack, [publisherId]);
    const [original] = await logsUntil(api, hook.id, (items) => items.length === 1);
    expect(original!.eventId).toBe(eventIdFor('local', publisherId));

    const res = await api.post(`/v1/webhooks/${hook.id}/events/${original!.eventId}/redeliver`);
    expect(res.status, res.text).toBe(202);
    expect(res.body.deliveryId).toMatch(/^dlv_/);
    expect(res.body.deliveryId).not.toBe(original!.deliveryId);

    const logs = await logsUntil(api, hook.id, (items) => items.length === 2);
    expect(logs[1]).toMatchObject({ eventId: original!.eventId, kind: 'redelivery', deliveryId: res.body.deliveryId, attempt: 1, outcome: 'succeeded' });
    expect(r.deliveries.map((d) => d.headers['webhook-id'])).toEqual([original!.eventId, original!.eventId]);
    expect(r.deliveries[1]!.body).toBe(r.deliveries[0]!.body);
    for (const d of r.deliveries) expect(() => hook.verifier.verify(d.body, d.headers as Record<string, string>)).not.toThrow();
  });

  it('answers 404 for an unknown event or one of another tenant, 409 for an inactive or unsubscribed webhook', async () => {
    const r = await receiver();
    const hook = await activeWebhook(api, r.url);
    const unknown = eventIdFor('local', 'never-published');
    const res404 = await api.post(`/v1/webhooks/${hook.id}/events/${unknown}/redeliver`);
    expect(res404.status).toBe(404);
    expect(res404.body.error.code).toBe('not_found');
    expect((await api.post(`/v1/webhooks/${hook.id}/events/not-an-id/redeliver`)).status).toBe(404);

    // Another tenant's event is stored under that tenant: for this one it does not exist.
    const theirs = uniqueId();
    await publishBadges(stack, [theirs], 'globex');
    // And an event of a type the webhook does not subscribe to.
    const content = uniqueId();
    await publish(stack.endpoint, stack.provisioned.names.eventBus, [{ type: 'content.completed', detail: { tenantId: 'local', id: content, data: exampleData('content.completed') } }]);
    await stack.idle();
    expect((await api.post(`/v1/webhooks/${hook.id}/events/${eventIdFor('globex', theirs)}/redeliver`)).status).toBe(404);
    const unsubscribed = await api.post(`/v1/webhooks/${hook.id}/events/${eventIdFor('local', content)}/redeliver`);
    expect(unsubscribed.status).toBe(409);
    expect(unsubscribed.body.error.code).toBe('not_subscribed');

    const mine = uniqueId();
    await publishBadges(stack, [mine]);
    await eventually(async () => r.deliveries.length === 1);
    await api.post(`/v1/webhooks/${hook.id}/deactivate`);
    const inactive = await api.post(`/v1/webhooks/${hook.id}/events/${eventIdFor('local', mine)}/redeliver`);
    expect(inactive.status).toBe(409);
    expect(inactive.body.error).toMatchObject({ code: 'not_active', message: expect.stringContaining('inactive') });
  });

  it('recovers every event whose delivery ended failed since a time, once the receiver is back', async () => {
    let down = true;
    const r = await receiver(() => ({ status: down ? 503 : 200 }));
    const hook = await activeWebhook(api, r.url, { retryPolicy: once });
    const since = new Date(Date.now() - 1000).toISOString();
    const failedIds = [uniqueId(), uniqueId()];
    await publishBadges(stack, failedIds);
    await logsUntil(api, hook.id, (items) => items.length === 2);
    down = false;
    const okId = uniqueId();
    await publishBadges(stack, [okId]);
    await logsUntil(api, hook.id, (items) => items.some((i) => i.outcome === 'succeeded'));
    const before = r.deliveries.length;

    const dry = await api.post(`/v1/webhooks/${hook.id}/recover`, { since, dryRun: true });
    expect(dry.status, dry.text).toBe(202);
    expect(dry.body).toEqual({ count: 2 });
    await stack.idle();
    expect(r.deliveries.length).toBe(before);

    const res = await api.post(`/v1/webhooks/${hook.id}/recover`, { since });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toEqual({ count: 2 });
    const logs = await logsUntil(api, hook.id, (items) => items.filter((i) => i.kind === 'recovery').length === 2);
    const recovered = logs.filter((l) => l.kind === 'recovery');
    expect(recovered.every((l) => l.outcome === 'succeeded')).toBe(true);
    const expected = failedIds.map((id) => eventIdFor('local', id)).sort();
    expect(recovered.map((l) => l.eventId).sort()).toEqual(expected);
    expect(r.deliveries.slice(before).map((d) => d.headers['webhook-id']).sort()).toEqual(expected);

    // Their newest deliveries succeeded now: nothing is left to recover.
    expect((await api.post(`/v1/webhooks/${hook.id}/recover`, { since })).body).toEqual({ count: 0 });
    // Nor from a time after the failures.
    expect((await api.post(`/v1/webhooks/${hook.id}/recover`, { since: new Date().toISOString(), dryRun: true })).body).toEqual({ count: 0 });
  });

  it('counts on an inactive webhook with dryRun, refuses to send with 409, and refuses a future since with 422', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const hook = await activeWebhook(api, r.url, { retryPolicy: once });
    const since = new Date(Date.now() - 1000).toISOString();
    await publishBadges(stack, [uniqueId()]);
    await logsUntil(api, hook.id, (items) => items.length === 1);
    await api.post(`/v1/webhooks/${hook.id}/deactivate`);

    expect((await api.post(`/v1/webhooks/${hook.id}/recover`, { since, dryRun: true })).body).toEqual({ count: 1 });
    const refused = await api.post(`/v1/webhooks/${hook.id}/recover`, { since });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('not_active');
    const future = await api.post(`/v1/webhooks/${hook.id}/recover`, { since: new Date(Date.now() + 3_600_000).toISOString(), dryRun: true });
    expect(future.status).toBe(422);
    expect(future.body.error.details).toEqual([expect.objectContaining({ path: 'since' })]);
    expect(await deliveryLogs(api, hook.id)).toHaveLength(1);
  });
});

describe('recover: how a delivery ended, from its newest attempt', () => {
  const NOW = Date.parse('2026-12-04T12:00:00.000Z');
  const hook: Webhook = webhookFixture({}, NOW);

  /** One attempt record, `minutesAgo` before NOW. */
  function attempt(eventId: string, minutesAgo: number, fields: Partial<StoredAttempt>): StoredAttempt {
    const at = NOW - minutesAgo * 60_000;
    return {
      id: newId('attempt', at),
      tenantId: 'acme',
      webhookId: hook.id,
      eventId,
      eventType: 'badge.awarded',
      attempt: 1,
      attemptedAt: new Date(at).toISOString(),
      url: hook.url,
      outcome: 'failed',
      statusCode: 500,
      durationMs: 5,
      error: 'http_status',
      nextAttemptAt: null,
      responseExcerpt: '',
      kind: 'delivery',
      deliveryId: newId('delivery', at),
      terminal: false,
      ...fields,
    };
  }

  function service(records: StoredAttempt[], stored: string[]) {
    const sent: QueuedTask[] = [];
    const newestFirst = [...records].sort((a, b) => (a.id < b.id ? 1 : -1));
    const deps = {
      webhooks: { require: async () => hook },
      logs: {
        async *iterate() {
          yield newestFirst;
        },
      },
      events: {
        get: async (_t: string, id: string): Promise<StoredEvent | null> =>
          stored.includes(id) ? { id, type: 'badge.awarded', occurredAt: new Date(NOW).toISOString(), tenantId: 'acme', data: {}, sourceEventId: 'eb' } : null,
      },
      deliveries: { send: async (tasks: QueuedTask[]) => (sent.push(...tasks), []) },
      now: () => NOW,
    } as unknown as LogServiceDeps;
    return { logs: new LogService(deps), sent };
  }

  it('recovers ended failures, and leaves alone successes and retries still pending', async () => {
    const inMinutes = (m: number) => new Date(NOW + m * 60_000).toISOString();
    const records = [
      // Exhausted its retries.
      attempt('evt_exhausted', 30, { terminal: true }),
      // Failed, then a redelivery succeeded.
      attempt('evt_fixed', 40, { terminal: true }),
      attempt('evt_fixed', 20, { outcome: 'succeeded', statusCode: 200, error: null, kind: 'redelivery' }),
      // Its retry is due in 10 minutes: still in progress.
      attempt('evt_pending', 5, { nextAttemptAt: inMinutes(10) }),
      // Recovered before, failed again and is now retrying: in progress, even though an older record is terminal.
      attempt('evt_retrying', 50, { terminal: true }),
      attempt('evt_retrying', 1, { kind: 'recovery', nextAttemptAt: inMinutes(5) }),
      // Its retry was due an hour ago and never came: the webhook was deactivated meanwhile.
      attempt('evt_dropped', 120, { nextAttemptAt: new Date(NOW - RETRY_OVERDUE_MS - 3_600_000).toISOString() }),
      // Ended failed, but the event is past its retention.
      attempt('evt_expired', 60, { terminal: true }),
      // Validation and test sends are not deliveries.
      attempt('evt_validation', 10, { kind: 'validation', eventType: 'webhook.validation' }),
      // A type the webhook no longer subscribes to: the worker would drop it.
      attempt('evt_unsubscribed', 10, { terminal: true, eventType: 'content.completed' }),
    ];
    const stored = ['evt_exhausted', 'evt_fixed', 'evt_pending', 'evt_retrying', 'evt_dropped', 'evt_validation', 'evt_unsubscribed'];
    const { logs, sent } = service(records, stored);
    const since = new Date(NOW - 86_400_000).toISOString();
    expect(await logs.recover('acme', hook.id, since, true)).toEqual({ count: 2 });
    expect(sent).toEqual([]);
    expect(await logs.recover('acme', hook.id, since, false)).toEqual({ count: 2 });
    expect(sent.map((q) => q.task.event.id).sort()).toEqual(['evt_dropped', 'evt_exhausted']);
    expect(sent.every((q) => q.task.kind === 'recovery' && q.task.attempt === 1 && q.task.dueAt === NOW)).toBe(true);
  });
});
