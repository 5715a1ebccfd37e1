// deliverBatch with its collaborators faked at the edges (webhooks, logs, queue, clock) and, where
// the wire matters, the real guarded sender against real receivers on 127.0.0.1. Host names
// are answered by an injected resolver: nothing here leaves this machine.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { SqsTaskQueue } from '../../shared/aws/sqs-task-queue';
import { deliverBatch, type DeliverDeps, type DeliveryRecord } from '../../shared/delivery/deliver-batch';
import { createSender, type SendRequest, type SendResult, type Sender } from '../../shared/delivery/http-sender';
import { MAX_SQS_DELAY_SECONDS, type DeliveryTask, type QueuedTask } from '../../shared/delivery/task';
import { exampleData } from '../../shared/events/examples';
import { eventIdFor, newId } from '../../shared/ids';
import type { Logger } from '../../shared/log';
import type { StoredAttempt } from '../../shared/logs/model';
import { cachedWebhookReader } from '../../shared/webhooks/cache';
import { type RetryPolicy, type Webhook } from '../../shared/webhooks/model';
import { webhookFixture } from '../fixtures/webhooks';

const START = Date.parse('2026-12-04T12:00:00.000Z');
const DAY = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Fakes

function webhook(overrides: Partial<Webhook> = {}): Webhook {
  return webhookFixture(overrides, START);
}

let eventCounter = 0;
function task(hook: Webhook, overrides: Partial<DeliveryTask> = {}): DeliveryTask {
  eventCounter += 1;
  return {
    v: 1,
    deliveryId: newId('delivery'),
    tenantId: hook.tenantId,
    webhookId: hook.id,
    attempt: 1,
    dueAt: START,
    kind: 'delivery',
    event: { id: eventIdFor(hook.tenantId, `award-${eventCounter}`), type: 'badge.awarded', occurredAt: '2026-12-04T11:00:00.000Z', tenantId: hook.tenantId, data: exampleData('badge.awarded') },
    ...overrides,
  };
}

let messageCounter = 0;
function message(t: DeliveryTask | string, receiveCount = 1, messageId = `m-${++messageCounter}`): DeliveryRecord {
  return { messageId, body: typeof t === 'string' ? t : JSON.stringify(t), receiveCount };
}

type Line = { level: string; message: string; fields?: Record<string, unknown> };

/** Everything deliverBatch talks to, in memory, with switches for our own failures. */
function world(options: { sender?: Sender; cacheTtlMs?: number; autoDisable?: { afterDays: number; minDeliveries: number } } = {}) {
  const clock = { now: START };
  const hooks = new Map<string, Webhook>();
  const logs: StoredAttempt[] = [];
  const queued: QueuedTask[] = [];
  const requests: SendRequest[] = [];
  const lines: Line[] = [];
  const faults = { writeLogs: false, enqueue: false, readWebhook: false };
  let script: (req: SendRequest, n: number) => Partial<SendResult> = () => ({ ok: true, statusCode: 200 });

  const fakeSender: Sender = {
    async send(req) {
      requests.push(req);
      const r = script(req, requests.length - 1);
      // The attempt takes its time on the injected clock too.
      clock.now += r.durationMs ?? 0;
      return { ok: false, statusCode: null, durationMs: 0, error: r.ok ? null : 'http_status', errorMessage: null, responseExcerpt: '', retryAfter: null, ...r };
    },
    close: async () => {},
  };
  const log: Logger = Object.fromEntries(
    ['debug', 'info', 'warn', 'error'].map((level) => [level, (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields })]),
  ) as unknown as Logger;

  const read = async (tenantId: string, id: string) => {
    if (faults.readWebhook) throw new Error('table unreachable');
    const found = hooks.get(id);
    return found && found.tenantId === tenantId ? structuredClone(found) : null;
  };
  const deps: DeliverDeps = {
    webhooks: {
      get: options.cacheTtlMs === undefined ? read : cachedWebhookReader(read, options.cacheTtlMs, () => clock.now),
      // The repository's update expressions, in memory.
      async recordTerminalFailure(_t, id, at) {
        const w = hooks.get(id);
        if (!w) return null;
        w.failingSince ??= at;
        w.failedDeliveries += 1;
        return structuredClone(w);
      },
      async recordSuccess(_t, id) {
        const w = hooks.get(id);
        if (w?.failingSince) Object.assign(w, { failingSince: null, failedDeliveries: 0 });
      },
      async deactivateFailing(_t, id, at) {
        const w = hooks.get(id);
        if (!w || w.status !== 'active') return false;
        Object.assign(w, { status: 'inactive', deactivatedReason: 'failing', updatedAt: at, failingSince: null, failedDeliveries: 0 });
        return true;
      },
    },
    logs: {
      async writeAll(records) {
        if (faults.writeLogs) throw new Error('ProvisionedThroughputExceededException');
        for (const r of records) {
          const i = logs.findIndex((l) => l.id === r.id);
          if (i >= 0) logs[i] = r;
          else logs.push(r);
        }
      },
      async findAttempt(_t, webhookId, deliveryId, attempt) {
        return logs.find((l) => l.webhookId === webhookId && l.deliveryId === deliveryId && l.attempt === attempt) ?? null;
      },
    },
    queue: {
      async send(tasks) {
        if (faults.enqueue) return tasks.map((_, i) => i);
        queued.push(...tasks);
        return [];
      },
    },
    sender: options.sender ?? fakeSender,
    userAgent: 'LMS-Webhooks/test',
    autoDisable: options.autoDisable ?? { afterDays: 5, minDeliveries: 10 },
    now: () => clock.now,
    random: () => 0.5,
    log,
  };

  return {
    deps,
    clock,
    hooks,
    logs,
    queued,
    requests,
    lines,
    faults,
    add(overrides: Partial<Webhook> = {}) {
      const w = webhook(overrides);
      hooks.set(w.id, w);
      return w;
    },
    respond(fn: typeof script) {
      script = fn;
    },
    run(records: DeliveryRecord[]) {
      return deliverBatch(records, deps);
    },
    /** Takes what was enqueued and lets the clock run to when SQS would hand it over. */
    takeNext(): { record: DeliveryRecord; delaySeconds: number } | null {
      const next = queued.shift();
      if (!next) return null;
      clock.now += next.delaySeconds * 1000;
      return { record: message(next.task), delaySeconds: next.delaySeconds };
    },
  };
}

// Real receivers on 127.0.0.1, counting connections as well as requests.
const servers: Server[] = [];
const senders: Sender[] = [];
afterAll(async () => {
  await Promise.all(senders.map((s) => s.close()));
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang' | (() => Promise<{ status: number }>);

async function receiver(answer: (n: number) => Answer = () => ({ status: 200 })) {
  const state = { connections: 0, requests: [] as { headers: IncomingHttpHeaders; body: string }[] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      state.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      let a = answer(state.requests.length - 1);
      if (a === 'hang') return;
      if (typeof a === 'function') a = await a();
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body ?? '');
    });
  });
  server.on('connection', () => void (state.connections += 1));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { port, url: `http://127.0.0.1:${port}/in`, state };
}

function realSender(overrides: Partial<Parameters<typeof createSender>[0]> = {}): Sender {
  const sender = createSender({ connectTimeoutMs: 1000, attemptTimeoutMs: 2000, allowHttp: true, allowLoopback: true, ...overrides });
  senders.push(sender);
  return sender;
}

// ---------------------------------------------------------------------------------------------

describe('deliverBatch: attempts and retries', () => {
  it('delivers, logs one succeeded attempt with nextAttemptAt null, and acknowledges', async () => {
    const w = world();
    const hook = w.add();
    const t = task(hook);
    expect(await w.run([message(t)])).toEqual([]);
    expect(w.requests).toHaveLength(1);
    expect(w.logs).toHaveLength(1);
    expect(w.logs[0]).toMatchObject({ eventId: t.event.id, attempt: 1, outcome: 'succeeded', statusCode: 200, error: null, nextAttemptAt: null, kind: 'delivery', deliveryId: t.deliveryId, terminal: false });
    expect(w.queued).toEqual([]);
  });

  it("logs a receiver failure, schedules the next attempt by the webhook's policy, and acknowledges", async () => {
    const w = world();
    const hook = w.add({ retryPolicy: { maxAttempts: 3, backoffSeconds: [30, 600] } });
    w.respond(() => ({ ok: false, statusCode: 500, error: 'http_status', durationMs: 40 }));
    const t = task(hook);
    expect(await w.run([message(t)])).toEqual([]);
    expect(w.logs[0]).toMatchObject({ attempt: 1, outcome: 'failed', statusCode: 500, error: 'http_status', durationMs: 40, terminal: false });
    expect(w.logs[0]!.attemptedAt).toBe(new Date(START).toISOString());
    expect(Date.parse(w.logs[0]!.nextAttemptAt!)).toBe(START + 40 + 30_000);
    expect(w.queued).toHaveLength(1);
    expect(w.queued[0]!.task).toMatchObject({ deliveryId: t.deliveryId, attempt: 2, dueAt: START + 40 + 30_000 });
    expect(w.queued[0]!.delaySeconds).toBe(30);
  });

  it('stops at maxAttempts: the last record has nextAttemptAt null and ends the delivery', async () => {
    const w = world();
    const hook = w.add({ retryPolicy: { maxAttempts: 3, backoffSeconds: [1, 2] } });
    w.respond(() => ({ ok: false, statusCode: 500 }));
    let next: { record: DeliveryRecord } | null = { record: message(task(hook)) };
    while (next) {
      await w.run([next.record]);
      next = w.takeNext();
    }
    expect(w.logs.map((l) => [l.attempt, l.nextAttemptAt === null, l.terminal])).toEqual([
      [1, false, false],
      [2, false, false],
      [3, true, true],
    ]);
    expect(w.requests).toHaveLength(3);
  });

  it('chains a 7200 s wait through SQS in 900 s hops and fires when it is due', async () => {
    const w = world();
    const policy: RetryPolicy = { maxAttempts: 2, backoffSeconds: [7200] };
    const hook = w.add({ retryPolicy: policy });
    w.respond((_, n) => (n === 0 ? { ok: false, statusCode: 500 } : { ok: true, statusCode: 200 }));
    await w.run([message(task(hook))]);
    const dueAt = Date.parse(w.logs[0]!.nextAttemptAt!);
    expect(dueAt).toBe(START + 7_200_000);

    const hops: number[] = [];
    for (let next = w.takeNext(); next; next = w.takeNext()) {
      hops.push(next.delaySeconds);
      // Not a single POST before it is due.
      expect(w.requests.length).toBe(1);
      await w.run([next.record]);
    }
    expect(hops).toEqual(Array(8).fill(MAX_SQS_DELAY_SECONDS));
    expect(w.requests).toHaveLength(2);
    expect(w.clock.now).toBe(dueAt);
    expect(w.logs.map((l) => [l.attempt, l.outcome])).toEqual([
      [1, 'failed'],
      [2, 'succeeded'],
    ]);
  });

  it('hops the rest of a wait that is not a multiple of 900 s', async () => {
    const w = world();
    const hook = w.add();
    const t = task(hook, { attempt: 2, dueAt: START + 1_000_000 });
    await w.run([message(t)]);
    expect(w.queued.map((q) => [q.task.attempt, q.delaySeconds])).toEqual([[2, 900]]);
    w.takeNext();
    w.queued.length = 0;
    await w.run([message(t)]);
    expect(w.queued.map((q) => q.delaySeconds)).toEqual([100]);
    expect(w.requests).toHaveLength(0);
  });

  it('never sends a retry early, even by less than a second (the wait may be a Retry-After)', async () => {
    const w = world();
    const hook = w.add();
    await w.run([message(task(hook, { attempt: 2, dueAt: START + 400 }))]);
    expect(w.requests).toHaveLength(0);
    expect(w.queued.map((q) => q.delaySeconds)).toEqual([1]);
  });

  it("sends a first attempt now although another container's clock stamped it a little ahead", async () => {
    const w = world();
    const hook = w.add();
    await w.run([message(task(hook, { attempt: 1, dueAt: START + 400 }))]);
    expect(w.requests).toHaveLength(1);
    expect(w.queued).toHaveLength(0);
  });

  it("takes the attempt number from the task, not from SQS's receive count", async () => {
    const w = world();
    const hook = w.add({ retryPolicy: { maxAttempts: 6, backoffSeconds: [1, 1, 1, 1, 1] } });
    w.respond(() => ({ ok: false, statusCode: 500 }));
    const first = task(hook, { attempt: 5 });
    const handedBack = task(hook, { attempt: 1 });
    await w.run([message(first, 1), message(handedBack, 4)]);
    expect(w.logs.find((l) => l.deliveryId === first.deliveryId)?.attempt).toBe(5);
    expect(w.logs.find((l) => l.deliveryId === handedBack.deliveryId)?.attempt).toBe(1);
    expect(w.queued.map((q) => q.task.attempt).sort()).toEqual([2, 6]);
  });

  it('waits at least as long as a 429 Retry-After asks, even with a 1 s policy', async () => {
    const w = world();
    const hook = w.add({ retryPolicy: { maxAttempts: 2, backoffSeconds: [1] } });
    w.respond(() => ({ ok: false, statusCode: 429, retryAfter: '120' }));
    await w.run([message(task(hook))]);
    expect(Date.parse(w.logs[0]!.nextAttemptAt!)).toBe(START + 120_000);
    expect(w.queued[0]!.delaySeconds).toBe(120);
  });

  it('stops the retries of a delivery answered 410 Gone', async () => {
    const w = world();
    const hook = w.add();
    w.respond(() => ({ ok: false, statusCode: 410 }));
    await w.run([message(task(hook))]);
    expect(w.logs[0]).toMatchObject({ statusCode: 410, nextAttemptAt: null, terminal: true });
    expect(w.queued).toEqual([]);
  });

  it('re-signs every attempt: the same webhook-id, a fresh timestamp, and each verifies', async () => {
    const r = await receiver((n) => (n < 2 ? { status: 500 } : { status: 200 }));
    const w = world({ sender: realSender() });
    const hook = w.add({ url: r.url, retryPolicy: { maxAttempts: 3, backoffSeconds: [1, 1] } });
    // Near the real time, because standardwebhooks checks the timestamp against it.
    w.clock.now = Date.now();
    let next: { record: DeliveryRecord } | null = { record: message(task(hook, { dueAt: w.clock.now })) };
    while (next) {
      await w.run([next.record]);
      next = w.takeNext();
    }
    expect(r.state.requests).toHaveLength(3);
    const ids = r.state.requests.map((q) => q.headers['webhook-id']);
    const stamps = r.state.requests.map((q) => q.headers['webhook-timestamp']);
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toBe(JSON.parse(r.state.requests[0]!.body).id);
    expect(new Set(stamps).size).toBe(3);
    const verifier = new StandardWebhook(hook.secret);
    for (const q of r.state.requests) expect(() => verifier.verify(q.body, q.headers as Record<string, string>)).not.toThrow();
    expect(w.logs.map((l) => l.outcome)).toEqual(['failed', 'failed', 'succeeded']);
  });
});

describe('deliverBatch: the webhook is read again at delivery time', () => {
  it.each([
    ['deactivated', { status: 'inactive' as const }, 'dropped: the webhook is inactive'],
    ['archived', { status: 'archived' as const }, 'dropped: the webhook is archived'],
    ['unsubscribed', { eventTypes: ['content.completed' as const] }, 'dropped: the webhook is no longer subscribed to this event type'],
  ])('does not call a webhook %s since fan-out: acknowledged, dropped, and the log line says so', async (_name, change, line) => {
    const w = world();
    const hook = w.add();
    const t = task(hook);
    Object.assign(w.hooks.get(hook.id)!, change);
    expect(await w.run([message(t)])).toEqual([]);
    expect(w.requests).toHaveLength(0);
    expect(w.logs).toHaveLength(0);
    expect(w.lines.find((l) => l.message === line)?.fields).toMatchObject({ deliveryId: t.deliveryId, webhookId: hook.id });
  });

  it('drops a task whose webhook is gone', async () => {
    const w = world();
    const t = task(webhook());
    expect(await w.run([message(t)])).toEqual([]);
    expect(w.lines.some((l) => l.message === 'dropped: the webhook no longer exists')).toBe(true);
  });

  it('sees a deactivation at once with a cache TTL of 0', async () => {
    const w = world({ cacheTtlMs: 0 });
    const hook = w.add();
    await w.run([message(task(hook))]);
    w.hooks.get(hook.id)!.status = 'inactive';
    await w.run([message(task(hook))]);
    expect(w.requests).toHaveLength(1);
  });

  it('sees a deactivation once the cached read is older than the TTL', async () => {
    const w = world({ cacheTtlMs: 5000 });
    const hook = w.add();
    await w.run([message(task(hook))]);
    w.hooks.get(hook.id)!.status = 'inactive';
    w.clock.now += 4000;
    await w.run([message(task(hook, { dueAt: w.clock.now }))]);
    expect(w.requests).toHaveLength(2);
    w.clock.now += 1000;
    await w.run([message(task(hook, { dueAt: w.clock.now }))]);
    expect(w.requests).toHaveLength(2);
  });
});

describe('deliverBatch: our own failures go back to SQS, without a second POST', () => {
  it('(a) a failed log write is a batch item failure', async () => {
    const w = world();
    const hook = w.add();
    const m = message(task(hook));
    w.faults.writeLogs = true;
    expect(await w.run([m])).toEqual([m.messageId]);
    expect(w.requests).toHaveLength(1);
    // Nothing was logged, so the POST is repeated when SQS hands it over: at least once, never lost.
    w.faults.writeLogs = false;
    expect(await w.run([{ ...m, receiveCount: 2 }])).toEqual([]);
    expect(w.requests).toHaveLength(2);
    expect(w.logs).toHaveLength(1);
  });

  it('(b) a failed retry enqueue is a batch item failure; the redelivered message does not POST again', async () => {
    const w = world();
    const hook = w.add({ retryPolicy: { maxAttempts: 3, backoffSeconds: [60, 60] } });
    w.respond(() => ({ ok: false, statusCode: 503 }));
    const m = message(task(hook));
    w.faults.enqueue = true;
    expect(await w.run([m])).toEqual([m.messageId]);
    expect(w.requests).toHaveLength(1);
    expect(w.logs).toHaveLength(1);
    const logged = structuredClone(w.logs[0]!);

    w.faults.enqueue = false;
    w.clock.now += 180_000; // the visibility timeout
    expect(await w.run([{ ...m, receiveCount: 2 }])).toEqual([]);
    expect(w.requests).toHaveLength(1);
    expect(w.logs).toEqual([logged]);
    expect(w.queued).toHaveLength(1);
    expect(w.queued[0]!.task).toMatchObject({ attempt: 2, dueAt: Date.parse(logged.nextAttemptAt!) });
    expect(w.lines.some((l) => l.message === 'attempt already logged; resuming after it')).toBe(true);
  });

  it('a queue that throws is a batch item failure too, for exactly the records that needed it', async () => {
    const w = world();
    const hook = w.add({ retryPolicy: { maxAttempts: 2, backoffSeconds: [60] } });
    const ok = w.add();
    w.respond((req) => (req.url === hook.url ? { ok: false, statusCode: 500 } : { ok: true, statusCode: 200 }));
    w.hooks.get(ok.id)!.url = 'https://other.example.com/in';
    w.deps.queue = { send: () => Promise.reject(new Error('AWS.SimpleQueueService.NonExistentQueue')) };
    const retrying = message(task(hook));
    expect(await w.run([retrying, message(task(ok))])).toEqual([retrying.messageId]);
    expect(w.logs).toHaveLength(2);
  });

  it('a webhook read that fails is a batch item failure and does not hold the rest of the batch', async () => {
    const w = world();
    const hook = w.add();
    const other = w.add();
    let calls = 0;
    const get = w.deps.webhooks.get;
    w.deps.webhooks.get = async (t, id) => {
      calls += 1;
      if (id === hook.id) throw new Error('ThrottlingException');
      return get(t, id);
    };
    const bad = message(task(hook));
    expect(await w.run([bad, message(task(other))])).toEqual([bad.messageId]);
    expect(calls).toBe(2);
    expect(w.requests).toHaveLength(1);
    expect(w.logs.map((l) => l.webhookId)).toEqual([other.id]);
  });
});

describe('deliverBatch: poison input', () => {
  it('logs and drops an unparseable task and an unknown webhook without blocking the batch', async () => {
    const w = world();
    const hook = w.add();
    const good = task(hook);
    const records = [message('not json'), message(JSON.stringify({ v: 1, attempt: 'x' })), message(task(webhook())), message(good)];
    expect(await w.run(records)).toEqual([]);
    expect(w.logs.map((l) => l.deliveryId)).toEqual([good.deliveryId]);
    const dropped = w.lines.filter((l) => l.message.startsWith('dropped:'));
    expect(dropped.map((l) => l.message)).toEqual(['dropped: not a delivery task', 'dropped: not a delivery task', 'dropped: the webhook no longer exists']);
    expect(dropped[1]!.fields?.issues).toEqual(expect.arrayContaining(['attempt']));
  });
});

describe('deliverBatch: records run concurrently against real receivers', () => {
  it('fails a receiver slower than the timeout as `timeout` and delivers the rest of the batch', async () => {
    const slow = await receiver(() => 'hang');
    const fast = await Promise.all([receiver(), receiver()]);
    const w = world({ sender: realSender({ attemptTimeoutMs: 300 }) });
    const slowHook = w.add({ url: slow.url });
    const fastHooks = fast.map((r) => w.add({ url: r.url }));
    const failed = await w.run([message(task(slowHook)), ...fastHooks.map((h) => message(task(h)))]);
    expect(failed).toEqual([]);
    expect(w.logs.find((l) => l.webhookId === slowHook.id)).toMatchObject({ outcome: 'failed', error: 'timeout', statusCode: null });
    for (const h of fastHooks) expect(w.logs.find((l) => l.webhookId === h.id)).toMatchObject({ outcome: 'succeeded', statusCode: 200 });
    expect(fast.map((r) => r.state.requests.length)).toEqual([1, 1]);
  });

  it('sends the records of a batch at the same time, not one after another', async () => {
    // The first receiver answers only once the second has its request: in sequence, the first would time out.
    let release!: () => void;
    const second = new Promise<void>((r) => (release = r));
    const a = await receiver(() => async () => (await second, { status: 200 }));
    const b = await receiver(() => (release(), { status: 200 }));
    const w = world({ sender: realSender({ attemptTimeoutMs: 1500 }) });
    const [ha, hb] = [w.add({ url: a.url }), w.add({ url: b.url })];
    await w.run([message(task(ha)), message(task(hb))]);
    expect(w.logs.map((l) => l.outcome)).toEqual(['succeeded', 'succeeded']);
  });
});

describe('deliverBatch: safe connections', () => {
  const loopbackResolver = async (hostname: string) => {
    if (hostname !== 'hooks.example.com') throw Object.assign(new Error('unexpected lookup'), { code: 'ENOTFOUND' });
    return [{ address: '127.0.0.1', family: 4 as const }];
  };

  it('refuses a name that resolves to a blocked address: logged blocked_address, the receiver gets no connection', async () => {
    const r = await receiver();
    const w = world({ sender: realSender({ allowLoopback: false, resolver: loopbackResolver }) });
    const hook = w.add({ url: `http://hooks.example.com:${r.port}/in` });
    expect(await w.run([message(task(hook))])).toEqual([]);
    expect(w.logs[0]).toMatchObject({ outcome: 'failed', error: 'blocked_address', statusCode: null, url: hook.url });
    expect(r.state.connections).toBe(0);
    expect(w.queued).toHaveLength(1);
  });

  it('delivers to the same name when loopback is allowed', async () => {
    const r = await receiver();
    const w = world({ sender: realSender({ allowLoopback: true, resolver: loopbackResolver }) });
    const hook = w.add({ url: `http://hooks.example.com:${r.port}/in` });
    await w.run([message(task(hook))]);
    expect(w.logs[0]).toMatchObject({ outcome: 'succeeded', statusCode: 200 });
    expect(r.state.requests[0]!.headers.host).toBe(`hooks.example.com:${r.port}`);
  });

  it('bounds a hanging DNS lookup by the attempt timeout', async () => {
    const w = world({ sender: realSender({ attemptTimeoutMs: 200, resolver: () => new Promise(() => {}) }) });
    const hook = w.add({ url: 'http://hooks.example.com/in' });
    await w.run([message(task(hook))]);
    expect(w.logs[0]).toMatchObject({ outcome: 'failed', error: 'timeout' });
  });
});

describe('deliverBatch: auto-disable after sustained failure', () => {
  const settings = { afterDays: 1, minDeliveries: 2 };

  async function failOnce(w: ReturnType<typeof world>, hook: Webhook) {
    await w.run([message(task(hook, { dueAt: w.clock.now }))]);
  }

  it('deactivates with deactivatedReason failing once every delivery failed for the period and enough did', async () => {
    const w = world({ autoDisable: settings });
    const hook = w.add({ retryPolicy: { maxAttempts: 1, backoffSeconds: [] } });
    w.respond(() => ({ ok: false, statusCode: 500 }));
    await failOnce(w, hook);
    w.clock.now += DAY / 2;
    await failOnce(w, hook);
    // Two failed deliveries, but only for half a day.
    expect(w.hooks.get(hook.id)).toMatchObject({ status: 'active', failedDeliveries: 2, failingSince: new Date(START).toISOString() });
    w.clock.now += DAY / 2;
    await failOnce(w, hook);
    expect(w.hooks.get(hook.id)).toMatchObject({ status: 'inactive', deactivatedReason: 'failing' });
    expect(w.lines.find((l) => l.message === 'webhook deactivated after sustained failure')?.fields).toMatchObject({ webhookId: hook.id, failedDeliveries: 3 });
  });

  it('needs at least minDeliveries, however long the failure lasts', async () => {
    const w = world({ autoDisable: { afterDays: 0, minDeliveries: 3 } });
    const hook = w.add({ retryPolicy: { maxAttempts: 1, backoffSeconds: [] } });
    w.respond(() => ({ ok: false, statusCode: 500 }));
    await failOnce(w, hook);
    w.clock.now += 30 * DAY;
    await failOnce(w, hook);
    expect(w.hooks.get(hook.id)!.status).toBe('active');
    await failOnce(w, hook);
    expect(w.hooks.get(hook.id)!.status).toBe('inactive');
  });

  it('resets the streak on a success, even when the cached read has not seen the streak yet', async () => {
    const w = world({ autoDisable: settings, cacheTtlMs: 60_000 });
    const hook = w.add({ retryPolicy: { maxAttempts: 1, backoffSeconds: [] } });
    let fail = true;
    w.respond(() => (fail ? { ok: false, statusCode: 500 } : { ok: true, statusCode: 200 }));
    await failOnce(w, hook);
    expect(w.hooks.get(hook.id)!.failingSince).not.toBeNull();
    fail = false;
    await failOnce(w, hook);
    expect(w.hooks.get(hook.id)).toMatchObject({ failingSince: null, failedDeliveries: 0 });
    fail = true;
    w.clock.now += 2 * DAY;
    await failOnce(w, hook);
    expect(w.hooks.get(hook.id)).toMatchObject({ status: 'active', failedDeliveries: 1 });
  });

  it('does not count failures that will still be retried', async () => {
    const w = world({ autoDisable: { afterDays: 0, minDeliveries: 1 } });
    const hook = w.add({ retryPolicy: { maxAttempts: 2, backoffSeconds: [60] } });
    w.respond(() => ({ ok: false, statusCode: 500 }));
    await failOnce(w, hook);
    expect(w.hooks.get(hook.id)).toMatchObject({ status: 'active', failedDeliveries: 0 });
  });

  it('counts a 410 Gone as a delivery that ended failed', async () => {
    const w = world({ autoDisable: { afterDays: 0, minDeliveries: 1 } });
    const hook = w.add();
    w.respond(() => ({ ok: false, statusCode: 410 }));
    await failOnce(w, hook);
    expect(w.hooks.get(hook.id)).toMatchObject({ status: 'inactive', deactivatedReason: 'failing' });
  });
});

describe('SqsTaskQueue', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());
  const client = () => new SQSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const hook = webhook();
  const queued = (n: number, dataBytes = 10, delaySeconds = 0): QueuedTask[] =>
    Array.from({ length: n }, () => ({ task: { ...task(hook), event: { ...task(hook).event, data: { blob: 'x'.repeat(dataBytes) } } }, delaySeconds }));

  it('sends batches of at most 10 and caps the delay at 900 s', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    expect(await new SqsTaskQueue(client(), 'q').send(queued(23, 10, 7200))).toEqual([]);
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries!.length).sort()).toEqual([10, 10, 3]);
    expect(calls.flatMap((c) => c.args[0].input.Entries!.map((e) => e.DelaySeconds))).toEqual(Array(23).fill(900));
  });

  it("keeps each request within SQS's payload limit, so large events are not refused ten at a time", async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await new SqsTaskQueue(client(), 'q').send(queued(10, 150 * 1024));
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(10);
    for (const c of calls) {
      const bytes = c.args[0].input.Entries!.reduce((sum, e) => sum + Buffer.byteLength(e.MessageBody!), 0);
      expect(bytes).toBeLessThanOrEqual(256 * 1024);
    }
  });

  it('reports failed entries and failed requests by their index in the input', async () => {
    const tasks = queued(12);
    const second = tasks[11]!.task.deliveryId;
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string; MessageBody: string }[] }) => {
      if (input.Entries.some((e) => JSON.parse(e.MessageBody).deliveryId === second)) throw new Error('throttled');
      return { Successful: [], Failed: [{ Id: '3', Code: 'x', SenderFault: false }] };
    });
    expect(await new SqsTaskQueue(client(), 'q').send(tasks)).toEqual([3, 10, 11]);
  });
});
