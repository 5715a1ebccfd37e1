import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { eventIdFor } from '../../shared/ids';
import { apiClient, type ApiClient } from '../fixtures/api';
import {
  activeWebhook,
  deliveryLogs,
  logsUntil,
  publishBadges,
  receiverPool,
  sleep,
  uniqueIds,
} from './delivery-helpers';

/**
 * Receivers misbehaving in every way a real one does, on the local stack with real HTTP on
 * 127.0.0.1. Backoffs are 1-2 s through the webhooks' retryPolicy and the attempt timeout is
 * 1.5 s, so that each case takes a few seconds.
 */
describe('delivery faults on the local stack', () => {
  let stack: LocalStack;
  let api: ApiClient;
  const pool = receiverPool();
  const receiver = pool.receiver;
  const uniqueId = uniqueIds('fault');

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      awsPort: 0,
      apiKey: 'faults-key-0123456789',
      allowLoopback: true,
      config: { attemptTimeoutMs: '1500', connectTimeoutMs: '1000', webhookCacheTtlMs: '0' },
    });
    api = apiClient(stack.apiUrl, stack.apiKey);
  });
  afterAll(async () => {
    await pool.closeAll();
    await stack?.stop();
  });

  it('retries a 500 and logs each attempt; the retry carries the same webhook-id, a new timestamp, and verifies', async () => {
    const r = await receiver((i) => ({ status: i === 0 ? 500 : 200, body: i === 0 ? 'boom' : 'ok' }));
    const hook = await activeWebhook(api, r.url, { retryPolicy: { maxAttempts: 3, backoffSeconds: [1, 1] } });
    const publisherId = uniqueId();
    await publishBadges(stack, [publisherId]);

    const logs = await logsUntil(api, hook.id, (items) => items.some((i) => i.outcome === 'succeeded'));
    expect(logs.map((l) => [l.attempt, l.outcome, l.statusCode, l.error])).toEqual([
      [1, 'failed', 500, 'http_status'],
      [2, 'succeeded', 200, null],
    ]);
    expect(logs[0]!.nextAttemptAt).not.toBeNull();
    expect(logs[0]!.responseExcerpt).toBe('boom');
    expect(logs[1]!.nextAttemptAt).toBeNull();
    expect(logs[0]!.deliveryId).toBe(logs[1]!.deliveryId);

    expect(r.deliveries).toHaveLength(2);
    const [first, second] = r.deliveries;
    expect(first!.headers['webhook-id']).toBe(eventIdFor('local', publisherId));
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(second!.headers['webhook-timestamp']).not.toBe(first!.headers['webhook-timestamp']);
    for (const d of r.deliveries) expect(() => hook.verifier.verify(d.body, d.headers as Record<string, string>)).not.toThrow();
  });

  it('stops at maxAttempts against a receiver that always fails; the last record has nextAttemptAt null', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const hook = await activeWebhook(api, r.url, { retryPolicy: { maxAttempts: 3, backoffSeconds: [1, 1] } });
    await publishBadges(stack, [uniqueId()]);

    const logs = await logsUntil(api, hook.id, (items) => items.some((i) => i.nextAttemptAt === null));
    expect(logs.map((l) => l.attempt)).toEqual([1, 2, 3]);
    expect(logs.map((l) => l.nextAttemptAt === null)).toEqual([false, false, true]);
    await sleep(1500);
    await stack.idle();
    expect(r.deliveries).toHaveLength(3);
    expect(await deliveryLogs(api, hook.id)).toHaveLength(3);
  });

  it('waits at least as long as a 429 Retry-After asks, longer than the 1 s backoff', async () => {
    const r = await receiver((i) => (i === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    const hook = await activeWebhook(api, r.url, { retryPolicy: { maxAttempts: 2, backoffSeconds: [1] } });
    await publishBadges(stack, [uniqueId()]);

    const logs = await logsUntil(api, hook.id, (items) => items.some((i) => i.outcome === 'succeeded'));
    expect(logs[0]).toMatchObject({ statusCode: 429, error: 'http_status' });
    expect(Date.parse(logs[0]!.nextAttemptAt!) - Date.parse(logs[0]!.attemptedAt)).toBeGreaterThanOrEqual(2000);
    // Measured at the receiver: from the end of the first request to the second. The first
    // answer goes out after its request arrived, so the wait seen here is at most a millisecond short.
    expect(r.deliveries[1]!.at - r.deliveries[0]!.at).toBeGreaterThanOrEqual(1990);
    expect(Date.parse(logs[1]!.attemptedAt)).toBeGreaterThanOrEqual(Date.parse(logs[0]!.nextAttemptAt!));
  });

  it('does not follow a 302: the redirect target gets nothing and the attempt fails as redirect', async () => {
    const target = await receiver();
    const r = await receiver(() => ({ status: 302, headers: { location: target.url } }));
    const hook = await activeWebhook(api, r.url, { retryPolicy: { maxAttempts: 1, backoffSeconds: [] } });
    await publishBadges(stack, [uniqueId()]);

    const logs = await logsUntil(api, hook.id, (items) => items.length > 0);
    expect(logs[0]).toMatchObject({ outcome: 'failed', statusCode: 302, error: 'redirect', nextAttemptAt: null });
    await stack.idle();
    expect(target.deliveries).toHaveLength(0);
  });

  it('fails a receiver slower than the attempt timeout as timeout, and still delivers to the others', async () => {
    const slow = await receiver(() => ({ status: 200, delayMs: 4000 }));
    const fast = await receiver();
    const slowHook = await activeWebhook(api, slow.url, { retryPolicy: { maxAttempts: 1, backoffSeconds: [] } });
    const fastHook = await activeWebhook(api, fast.url, { retryPolicy: { maxAttempts: 1, backoffSeconds: [] } });
    await publishBadges(stack, [uniqueId(), uniqueId()]);

    const slowLogs = await logsUntil(api, slowHook.id, (items) => items.length === 2);
    expect(slowLogs.map((l) => [l.outcome, l.error, l.statusCode])).toEqual([
      ['failed', 'timeout', null],
      ['failed', 'timeout', null],
    ]);
    const fastLogs = await logsUntil(api, fastHook.id, (items) => items.length === 2);
    expect(fastLogs.map((l) => l.outcome)).toEqual(['succeeded', 'succeeded']);
    expect(fast.deliveries).toHaveLength(2);
  });

  it('logs a closed port as connection_refused', async () => {
    const r = await receiver();
    const hook = await activeWebhook(api, r.url, { retryPolicy: { maxAttempts: 1, backoffSeconds: [] } });
    await r.stop();
    await publishBadges(stack, [uniqueId()]);
    const logs = await logsUntil(api, hook.id, (items) => items.length > 0);
    expect(logs[0]).toMatchObject({ outcome: 'failed', error: 'connection_refused', statusCode: null, nextAttemptAt: null });
  });

  it('loses nothing while a receiver is down for a while: every event arrives once it is back', async () => {
    const r = await receiver();
    const hook = await activeWebhook(api, r.url, { retryPolicy: { maxAttempts: 8, backoffSeconds: [1, 1, 2, 2, 2, 2, 2] } });
    await r.stop();
    const ids = [uniqueId(), uniqueId(), uniqueId()];
    await publishBadges(stack, ids);
    // Down until every event has failed at least once.
    await logsUntil(api, hook.id, (items) => new Set(items.filter((i) => i.error === 'connection_refused').map((i) => i.eventId)).size === 3);
    await r.start();

    const logs = await logsUntil(api, hook.id, (items) => items.filter((i) => i.outcome === 'succeeded').length === 3, 30_000);
    const expected = ids.map((id) => eventIdFor('local', id)).sort();
    expect([...new Set(r.deliveries.map((d) => d.headers['webhook-id']))].sort()).toEqual(expected);
    expect(logs.filter((l) => l.outcome === 'succeeded').map((l) => l.eventId).sort()).toEqual(expected);
    for (const d of r.deliveries) expect(() => hook.verifier.verify(d.body, d.headers as Record<string, string>)).not.toThrow();
  });

  it('keeps exactly the first 1 KiB of a huge response body as the excerpt', async () => {
    const huge = 'abcdefghij'.repeat(20_000);
    const r = await receiver(() => ({ status: 200, body: huge }));
    const hook = await activeWebhook(api, r.url, { retryPolicy: { maxAttempts: 1, backoffSeconds: [] } });
    await publishBadges(stack, [uniqueId()]);
    const logs = await logsUntil(api, hook.id, (items) => items.length > 0);
    expect(logs[0]).toMatchObject({ outcome: 'succeeded', statusCode: 200 });
    expect(logs[0]!.responseExcerpt).toHaveLength(1024);
    expect(logs[0]!.responseExcerpt).toBe(huge.slice(0, 1024));
  });
});
