import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { documentClient } from '../../shared/aws/clients';
import { exampleData } from '../../shared/events/examples';
import { newId, ulidAt } from '../../shared/ids';
import { ATTEMPT_KINDS, LOGGED_EVENT_TYPES, type StoredAttempt } from '../../shared/logs/model';
import type { Job } from '../../shared/logs/jobs';
import { LogRepository } from '../../shared/logs/repository';
import { LogService, type LogServiceDeps } from '../../shared/logs/service';
import { WebhookRepository } from '../../shared/webhooks/repository';
import { TenantRepository } from '../../shared/tenants/repository';
import { apiClient, eventually, publish, type ApiClient } from '../fixtures/api';
import { startReceiver, type Receiver } from '../fixtures/receiver';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A small deterministic random source, so a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32);
}

function attempt(webhookId: string, ms: number, overrides: Partial<StoredAttempt> = {}): StoredAttempt {
  return {
    id: `att_${ulidAt(ms)}`,
    tenantId: 'local',
    webhookId,
    eventId: newId('event'),
    eventType: 'badge.awarded',
    attempt: 1,
    attemptedAt: new Date(ms).toISOString(),
    url: 'https://hooks.example.com/lms',
    outcome: 'succeeded',
    statusCode: 200,
    durationMs: 12,
    error: null,
    nextAttemptAt: null,
    responseExcerpt: 'ok',
    kind: 'delivery',
    deliveryId: null,
    terminal: false,
    ...overrides,
  };
}

/** `count` records of varied outcome, type and kind, spread at random between two times. */
function varied(webhookId: string, count: number, fromMs: number, toMs: number, seed = 1): StoredAttempt[] {
  const rnd = random(seed);
  return Array.from({ length: count }, (_, i) => {
    const failed = rnd() < 0.4;
    return attempt(webhookId, Math.floor(fromMs + rnd() * (toMs - fromMs)), {
      outcome: failed ? 'failed' : 'succeeded',
      statusCode: failed ? 500 : 200,
      error: failed ? 'HTTP 500' : null,
      eventType: LOGGED_EVENT_TYPES[i % LOGGED_EVENT_TYPES.length]!,
      kind: ATTEMPT_KINDS[i % ATTEMPT_KINDS.length]!,
      attempt: 1 + (i % 3),
    });
  });
}

const newestFirst = (records: { id: string }[]) => records.map((r) => r.id).sort().reverse();

describe('logs API on the local stack', () => {
  let stack: LocalStack;
  let api: ApiClient;
  let receiver: Receiver;
  let logs: LogRepository;
  let table: string;
  let failNextDelivery = true;

  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, awsPort: 0, apiKey: 'logs-key-0123456789', allowLoopback: true, config: { attemptTimeoutMs: '3000' } });
    api = apiClient(stack.apiUrl, stack.apiKey);
    // The first badge.awarded delivery fails (so it is retried), everything else succeeds.
    receiver = await startReceiver((req) => {
      if (failNextDelivery && req.body.includes('"type":"badge.awarded"') && !req.body.includes('"test":true')) {
        failNextDelivery = false;
        return { status: 500, body: 'boom, "quoted"\nsecond line' };
      }
      return { status: 200, body: 'ok' };
    });
    table = stack.provisioned.names.table;
    logs = new LogRepository(documentClient(), table, 30);
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  async function webhook(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await api.post('/v1/webhooks', { name, url: `${receiver.url}/hooks`, eventTypes: ['badge.awarded'], ...extra });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  /** Every record of a list, following nextCursor to the end. */
  async function listAll(id: string, query: Record<string, string> = {}, limit = 25): Promise<{ id: string; attemptedAt: string }[]> {
    const items: { id: string; attemptedAt: string }[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 1000; pages++) {
      const params = new URLSearchParams({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
      const res = await api.get(`/v1/webhooks/${id}/logs?${params}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(limit);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
      if (!cursor) return items;
    }
    throw new Error('the list never ended');
  }

  /** What is really stored in a webhook's log partition, expired and cleared records included. */
  async function stored(id: string, tenantId = 'local'): Promise<number> {
    let count = 0;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const out = await documentClient().send(
        new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `LOG#${tenantId}#${id}` }, Select: 'COUNT', ExclusiveStartKey }),
      );
      count += out.Count ?? 0;
      ExclusiveStartKey = out.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return count;
  }

  it('pages through 400 records newest first with no repeats and no gaps while new attempts are being written', async () => {
    const id = await webhook('Paging');
    const now = Date.now();
    const seeded = varied(id, 400, now - 10 * DAY, now - HOUR);
    await logs.writeAll(seeded);

    const seen: { id: string; attemptedAt: string }[] = [];
    const lateBelowCursor: StoredAttempt[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await api.get(`/v1/webhooks/${id}/logs?limit=37${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
      pages++;
      if (cursor) {
        // Between two page reads: attempts that start now (above every cursor), and one that
        // started earlier but is logged only now (below the cursor, so still to come).
        const last = Date.parse(res.body.items.at(-1).attemptedAt);
        const late = attempt(id, last - 1);
        lateBelowCursor.push(late);
        await logs.writeAll([attempt(id, Date.now()), attempt(id, Date.now() + 1), late]);
      }
    } while (cursor);

    const ids = seen.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(newestFirst([...seeded, ...lateBelowCursor]));
    expect(pages).toBeGreaterThanOrEqual(11);
    // And the attempts written meanwhile at the top are listed by a fresh first page.
    const fresh = await api.get(`/v1/webhooks/${id}/logs?limit=5`);
    expect(Date.parse(fresh.body.items[0].attemptedAt)).toBeGreaterThanOrEqual(now);
  });

  it('filters by outcome, eventType, since (inclusive) and until (exclusive), alone and combined, across pages', async () => {
    const id = await webhook('Filters');
    const now = Date.now();
    const since = now - 6 * DAY;
    const until = now - 2 * DAY;
    const seeded = [
      ...varied(id, 400, now - 9 * DAY, now - HOUR, 7),
      attempt(id, since, { outcome: 'failed', eventType: 'content.completed', statusCode: null, error: 'connection refused' }),
      attempt(id, until, { outcome: 'failed', eventType: 'content.completed', statusCode: null, error: 'connection refused' }),
    ];
    await logs.writeAll(seeded);

    const cases: { query: Record<string, string>; keep: (r: StoredAttempt) => boolean }[] = [
      { query: { outcome: 'failed' }, keep: (r) => r.outcome === 'failed' },
      { query: { eventType: 'webhook.validation' }, keep: (r) => r.eventType === 'webhook.validation' },
      { query: { since: new Date(since).toISOString(), until: new Date(until).toISOString() }, keep: (r) => Date.parse(r.attemptedAt) >= since && Date.parse(r.attemptedAt) < until },
      {
        query: { outcome: 'failed', eventType: 'content.completed', since: new Date(since).toISOString(), until: new Date(until).toISOString() },
        keep: (r) => r.outcome === 'failed' && r.eventType === 'content.completed' && Date.parse(r.attemptedAt) >= since && Date.parse(r.attemptedAt) < until,
      },
      // An offset is the same instant: since is compared as a time, not as text.
      { query: { outcome: 'succeeded', since: new Date(since).toISOString().replace('Z', '+00:00') }, keep: (r) => r.outcome === 'succeeded' && Date.parse(r.attemptedAt) >= since },
      { query: { until: new Date(until).toISOString(), eventType: 'badge.awarded' }, keep: (r) => r.eventType === 'badge.awarded' && Date.parse(r.attemptedAt) < until },
    ];
    for (const { query, keep } of cases) {
      const expected = newestFirst(seeded.filter(keep));
      expect(expected.length, JSON.stringify(query)).toBeGreaterThan(0);
      const got = await listAll(id, query, 20);
      expect(got.map((r) => r.id), JSON.stringify(query)).toEqual(expected);
    }
    const combined = await listAll(id, cases[3]!.query, 100);
    expect(combined.map((r) => r.attemptedAt)).toContain(new Date(since).toISOString());
    expect(combined.map((r) => r.attemptedAt)).not.toContain(new Date(until).toISOString());
  });

  it('refuses invalid filters with 422 invalid_request and details naming the parameter', async () => {
    const id = await webhook('Invalid filters');
    const cases: [string, string][] = [
      ['outcome=bogus', 'outcome'],
      ['eventType=badge.award', 'eventType'],
      ['since=yesterday', 'since'],
      ['until=2026-13-01T00:00:00Z', 'until'],
      ['since=2026-12-04', 'since'],
      ['since=2026-12-04T12:00:00Z&until=2026-12-04T12:00:00Z', 'until'],
      ['since=2026-12-05T00:00:00Z&until=2026-12-04T00:00:00Z', 'until'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=ten', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
      [`cursor=${Buffer.from(JSON.stringify({ pk: 'LOG#other#wh_1', sk: 'att_1' })).toString('base64url')}`, 'cursor'],
    ];
    for (const [query, path] of cases) {
      const res = await api.get(`/v1/webhooks/${id}/logs?${query}`);
      expect(res.status, query).toBe(422);
      expect(res.body.error.code, query).toBe('invalid_request');
      expect(res.body.error.details.map((d: { path: string }) => d.path), query).toContain(path);
    }
    expect((await api.get(`/v1/webhooks/${id}/logs?limit=1`)).status).toBe(200);
    expect((await api.get(`/v1/webhooks/${id}/logs?limit=100`)).status).toBe(200);
    expect((await api.get(`/v1/webhooks/${newId('webhook')}/logs`)).status).toBe(404);
  });

  it('hides records past their TTL on read, though DynamoDB (moto) still holds them', async () => {
    const id = await webhook('Retention');
    const now = Date.now();
    const visible = [attempt(id, now - HOUR), attempt(id, now - 29 * DAY)];
    const expired = [attempt(id, now - 30 * DAY - 60_000), attempt(id, now - 45 * DAY)];
    await logs.writeAll([...visible, ...expired]);
    expect(await stored(id)).toBe(4);
    expect((await listAll(id)).map((r) => r.id)).toEqual(newestFirst(visible));
    expect((await listAll(id, { since: new Date(now - 60 * DAY).toISOString() })).map((r) => r.id)).toEqual(newestFirst(visible));
  });

  it('clears at once however many records, purges them in the background, lists new attempts, and leaves other webhooks alone', async () => {
    const cleared = await webhook('Cleared');
    const other = await webhook('Kept');
    const now = Date.now();
    await logs.writeAll(varied(cleared, 600, now - 20 * DAY, now - 1000, 3));
    await logs.writeAll(varied(other, 50, now - 20 * DAY, now - 1000, 4));
    const first = await api.get(`/v1/webhooks/${cleared}/logs?limit=10`);
    expect(first.body.items).toHaveLength(10);

    const res = await api.del(`/v1/webhooks/${cleared}/logs`);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'cleared' });

    expect((await api.get(`/v1/webhooks/${cleared}/logs`)).body).toEqual({ items: [], nextCursor: null });
    // Someone paging when the clear happened gets an empty last page, not an error.
    const next = await api.get(`/v1/webhooks/${cleared}/logs?limit=10&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(next.status).toBe(200);
    expect(next.body).toEqual({ items: [], nextCursor: null });
    expect(await listAll(other, {}, 100)).toHaveLength(50);

    // A new attempt after the clear is listed as usual.
    const sent = await api.post(`/v1/webhooks/${cleared}/test`, { eventType: 'badge.awarded' });
    expect(sent.status).toBe(200);
    const after = await listAll(cleared);
    expect(after.map((r) => r.id)).toEqual([sent.body.id]);

    // The purge job really deletes the cleared records from the table, and only those.
    await eventually(async () => (await stored(cleared)) === 1, 30_000, 250);
    expect(await stored(other)).toBe(50);
    expect((await listAll(cleared)).map((r) => r.id)).toEqual([sent.body.id]);
  });

  it('clears even when the delivery worker updates the webhook at the same moment', async () => {
    const id = await webhook('Busy');
    const repo = new WebhookRepository(documentClient(), table);
    let raced = false;
    const racing = Object.create(repo) as WebhookRepository;
    racing.save = async (w) => {
      if (!raced) {
        // A terminal failure is counted between the clear's read and its write.
        raced = true;
        await repo.recordTerminalFailure('local', id, new Date().toISOString());
      }
      return repo.save(w);
    };
    const jobs: Job[] = [];
    const service = new LogService({ webhooks: racing, jobs: { send: async (job: Job) => void jobs.push(job) }, now: Date.now } as unknown as LogServiceDeps);
    await service.clear('local', id);
    expect(raced).toBe(true);
    const saved = await repo.require('local', id);
    expect(saved.logsClearedAt).not.toBeNull();
    expect(saved.failedDeliveries).toBe(1);
    expect(jobs).toEqual([{ type: 'purge', tenantId: 'local', webhookId: id, upTo: saved.logsClearedAt }]);
  });

  it("clears an archived webhook's logs too, and refuses another tenant's webhook with 404", async () => {
    const id = await webhook('Archived');
    await logs.writeAll(varied(id, 5, Date.now() - DAY, Date.now() - 1000, 5));
    expect((await api.post(`/v1/webhooks/${id}/archive`)).status).toBe(200);

    const { key } = await new TenantRepository(documentClient(), table).createKey('globex');
    const theirs = apiClient(stack.apiUrl, key);
    expect((await theirs.get(`/v1/webhooks/${id}/logs`)).status).toBe(404);
    const refused = await theirs.del(`/v1/webhooks/${id}/logs`);
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe('not_found');
    expect(await listAll(id)).toHaveLength(5);

    expect((await api.del(`/v1/webhooks/${id}/logs`)).status).toBe(202);
    expect(await listAll(id)).toEqual([]);
  });

  it('logs every attempt as a record: validation, test send, delivery and its retry, redelivery', async () => {
    const id = await webhook('Every kind', { retryPolicy: { maxAttempts: 2, backoffSeconds: [1] } });
    expect((await api.post(`/v1/webhooks/${id}/validate`)).body.validation.status).toBe('succeeded');
    expect((await api.post(`/v1/webhooks/${id}/activate`)).status).toBe(200);
    expect((await api.post(`/v1/webhooks/${id}/test`, { eventType: 'badge.awarded' })).status).toBe(200);
    await publish(stack.endpoint, stack.provisioned.names.eventBus, [
      { type: 'badge.awarded', detail: { tenantId: 'local', id: 'award-logs-1', data: exampleData('badge.awarded') } },
    ]);

    type Row = { kind: string; attempt: number; outcome: string; eventId: string; eventType: string; statusCode: number | null; nextAttemptAt: string | null; responseExcerpt: string; deliveryId: string | null };
    const deliveries = await eventually(async () => {
      const rows = (await listAll(id)) as unknown as Row[];
      const found = rows.filter((r) => r.kind === 'delivery');
      return found.length === 2 ? found : undefined;
    }, 30_000, 250);
    const [retry, firstTry] = deliveries;
    expect(firstTry).toMatchObject({ attempt: 1, outcome: 'failed', statusCode: 500, responseExcerpt: 'boom, "quoted"\nsecond line' });
    expect(firstTry!.nextAttemptAt).not.toBeNull();
    expect(retry).toMatchObject({ attempt: 2, outcome: 'succeeded', statusCode: 200, nextAttemptAt: null, eventId: firstTry!.eventId, deliveryId: firstTry!.deliveryId });

    const redelivered = await api.post(`/v1/webhooks/${id}/events/${firstTry!.eventId}/redeliver`);
    expect(redelivered.status, redelivered.text).toBe(202);
    const rows = await eventually(async () => {
      const all = (await listAll(id)) as unknown as Row[];
      return all.some((r) => r.kind === 'redelivery') ? all : undefined;
    }, 30_000, 250);
    expect(rows.map((r) => r.kind)).toEqual(['redelivery', 'delivery', 'delivery', 'test', 'validation']);
    expect(rows[0]).toMatchObject({ eventId: firstTry!.eventId, attempt: 1, outcome: 'succeeded' });
    expect(rows[4]).toMatchObject({ eventType: 'webhook.validation', outcome: 'succeeded' });

    const validations = (await listAll(id, { eventType: 'webhook.validation' })) as unknown as Row[];
    expect(validations.map((r) => r.kind)).toEqual(['validation']);
    const failures = (await listAll(id, { outcome: 'failed' })) as unknown as Row[];
    expect(failures.map((r) => [r.kind, r.attempt])).toEqual([['delivery', 1]]);
  });
});
