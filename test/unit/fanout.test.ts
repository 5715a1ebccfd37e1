import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../shared/delivery/event-store';
import type { QueuedTask, TaskQueue } from '../../shared/delivery/task';
import { deliveryTaskSchema } from '../../shared/delivery/task';
import { exampleData } from '../../shared/events/examples';
import { fanOut, parseIngestMessage, planDeliveries, type FanoutDeps, type Refusal } from '../../shared/fanout/fanout';
import { eventIdFor } from '../../shared/ids';
import type { Logger } from '../../shared/log';
import type { Webhook } from '../../shared/webhooks/model';
import { webhookFixture } from '../fixtures/webhooks';

const NOW = Date.parse('2026-12-04T12:00:00.000Z');

function webhook(overrides: Partial<Webhook> = {}): Webhook {
  return webhookFixture(overrides, NOW);
}

function storedEvent(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    id: eventIdFor('acme', 'award-1'),
    type: 'badge.awarded',
    occurredAt: '2026-12-04T11:00:00.000Z',
    tenantId: 'acme',
    data: exampleData('badge.awarded'),
    sourceEventId: 'eb-1',
    ...overrides,
  };
}

/** An ingest message as the EventBridge rule puts it on the queue. */
function ingestBody(detail: unknown, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: '0',
    id: 'eb-' + Math.random().toString(36).slice(2),
    'detail-type': 'badge.awarded',
    source: 'lms.core',
    account: '123456789012',
    time: '2026-12-04T11:30:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
    ...overrides,
  });
}

describe('planDeliveries', () => {
  it('plans one task per active webhook of the same tenant subscribed to the type', () => {
    const target = webhook();
    const both = webhook({ eventTypes: ['content.completed', 'badge.awarded'] });
    const hooks = [
      target,
      both,
      webhook({ status: 'inactive' }),
      webhook({ status: 'archived' }),
      webhook({ tenantId: 'globex' }),
      webhook({ eventTypes: ['content.completed'] }),
    ];
    const tasks = planDeliveries(storedEvent(), hooks, NOW);
    expect(tasks.map((t) => t.webhookId).sort()).toEqual([target.id, both.id].sort());
  });

  it('makes tasks that carry what the attempt needs: attempt 1, due now, the event without internals', () => {
    const [task] = planDeliveries(storedEvent(), [webhook()], NOW);
    expect(deliveryTaskSchema.parse(task)).toEqual(task);
    expect(task).toMatchObject({ v: 1, tenantId: 'acme', attempt: 1, dueAt: NOW, kind: 'delivery' });
    expect(task!.deliveryId).toMatch(/^dlv_/);
    expect(task!.event).toEqual({ id: storedEvent().id, type: 'badge.awarded', occurredAt: '2026-12-04T11:00:00.000Z', tenantId: 'acme', data: storedEvent().data });
  });

  it('gives each delivery its own id', () => {
    const tasks = planDeliveries(storedEvent(), [webhook(), webhook(), webhook()], NOW);
    expect(new Set(tasks.map((t) => t.deliveryId)).size).toBe(3);
  });

  it('plans nothing without a matching webhook', () => {
    expect(planDeliveries(storedEvent(), [], NOW)).toEqual([]);
    expect(planDeliveries(storedEvent({ type: 'content.completed' }), [webhook()], NOW)).toEqual([]);
  });
});

describe('parseIngestMessage', () => {
  const data = exampleData('badge.awarded');

  it("keys the event on the publisher's (tenantId, id): the same id gives the same event id", () => {
    const a = parseIngestMessage(ingestBody({ tenantId: 'acme', id: 'award-1', data }));
    const b = parseIngestMessage(ingestBody({ tenantId: 'acme', id: 'award-1', data }));
    const other = parseIngestMessage(ingestBody({ tenantId: 'globex', id: 'award-1', data }));
    expect(a.ok && b.ok && other.ok).toBe(true);
    if (!a.ok || !b.ok || !other.ok) return;
    expect(a.event.id).toBe(eventIdFor('acme', 'award-1'));
    expect(b.event.id).toBe(a.event.id);
    expect(other.event.id).not.toBe(a.event.id);
  });

  it('keys an event without id on the EventBridge event id, and dates it by the EventBridge time', () => {
    const parsed = parseIngestMessage(ingestBody({ tenantId: 'acme', data }, { id: 'eb-fixed' }));
    expect(parsed).toMatchObject({ ok: true, event: { id: eventIdFor('acme', 'eb-fixed'), occurredAt: '2026-12-04T11:30:00.000Z', sourceEventId: 'eb-fixed' } });
  });

  it('refuses a detail that fails its schema, naming the event and the failed paths', () => {
    const parsed = parseIngestMessage(ingestBody({ tenantId: 'acme', id: 'award-2', data: { ...data, user: { id: 'u1' } } }, { id: 'eb-bad' }));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed).toMatchObject({ reason: 'schema', eventId: 'eb-bad', detailType: 'badge.awarded', tenantId: 'acme', publisherId: 'award-2' });
    expect(parsed.issues.map((i) => i.path)).toContain('data.user.email');
  });

  it('refuses what is not JSON or not an EventBridge event', () => {
    expect(parseIngestMessage('{nope')).toMatchObject({ ok: false, reason: 'not_json', eventId: 'unknown' });
    expect(parseIngestMessage('{"hello":1}')).toMatchObject({ ok: false, reason: 'not_an_event' });
  });
});

function fakeLogger(): Logger & { lines: { level: string; message: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function fanoutDeps(overrides: Partial<FanoutDeps> = {}) {
  const admitted = new Map<string, string>();
  const sent: QueuedTask[] = [];
  const deadLettered: { body: string; refusal: Refusal }[] = [];
  const queue: TaskQueue = {
    async send(tasks) {
      sent.push(...tasks);
      return [];
    },
  };
  const deps: FanoutDeps = {
    events: {
      // The conditional write, in memory: a second admit of the same event id is a duplicate.
      async admit(event, receiveCount) {
        const source = admitted.get(event.id);
        if (source === undefined) {
          admitted.set(event.id, event.sourceEventId);
          return 'new';
        }
        return source === event.sourceEventId && receiveCount > 1 ? 'resumed' : 'duplicate';
      },
    },
    webhooks: { listActive: async () => [hook] },
    queue,
    async deadLetter(body, refusal) {
      deadLettered.push({ body, refusal });
    },
    log: fakeLogger(),
    now: () => NOW,
    ...overrides,
  };
  return { deps, sent, deadLettered };
}
const hook = webhook();

describe('fanOut', () => {
  const data = exampleData('badge.awarded');
  const valid = (id: string) => ({ messageId: `m-${id}`, body: ingestBody({ tenantId: 'acme', id, data }), receiveCount: 1 });

  it('delivers the valid events of a batch and dead-letters the invalid one with its reason', async () => {
    const { deps, sent, deadLettered } = fanoutDeps();
    const bad = { messageId: 'm-bad', body: ingestBody({ tenantId: 'acme', id: 'award-bad', data: { ...data, awardedAt: 'yesterday' } }, { id: 'eb-bad' }), receiveCount: 1 };
    const failed = await fanOut([valid('a1'), bad, valid('a2')], deps);
    expect(failed).toEqual([]);
    expect(sent.map((q) => q.task.event.id).sort()).toEqual([eventIdFor('acme', 'a1'), eventIdFor('acme', 'a2')].sort());
    expect(deadLettered).toHaveLength(1);
    expect(deadLettered[0]!.body).toBe(bad.body);
    expect(deadLettered[0]!.refusal).toMatchObject({ reason: 'schema', eventId: 'eb-bad', publisherId: 'award-bad' });
    const line = (deps.log as ReturnType<typeof fakeLogger>).lines.find((l) => l.level === 'warn');
    expect(line?.fields).toMatchObject({ eventBridgeId: 'eb-bad', publisherId: 'award-bad', tenantId: 'acme' });
    expect(line?.fields?.failedPaths).toContain('data.awardedAt');
  });

  it('delivers a re-published (tenantId, id) once', async () => {
    const { deps, sent } = fanoutDeps();
    await fanOut([valid('dup')], deps);
    await fanOut([valid('dup')], deps);
    expect(sent).toHaveLength(1);
  });

  it('resumes an event handed over again after a failed enqueue, so it is not lost', async () => {
    let fail = true;
    const { deps, sent } = fanoutDeps();
    deps.queue = {
      async send(tasks) {
        if (fail) return tasks.map((_, i) => i);
        sent.push(...tasks);
        return [];
      },
    };
    const record = valid('resume');
    expect(await fanOut([record], deps)).toEqual([record.messageId]);
    fail = false;
    expect(await fanOut([{ ...record, receiveCount: 2 }], deps)).toEqual([]);
    expect(sent).toHaveLength(1);
  });

  it('hands the message back when the webhooks cannot be read or the dead-letter write fails', async () => {
    const { deps } = fanoutDeps({
      webhooks: { listActive: async () => Promise.reject(new Error('table unreachable')) },
      deadLetter: async () => Promise.reject(new Error('queue unreachable')),
    });
    const bad = { messageId: 'm-bad', body: '{nope', receiveCount: 1 };
    expect((await fanOut([valid('x1'), bad], deps)).sort()).toEqual(['m-bad', 'm-x1']);
  });

  it("sends a whole batch's tasks in one enqueue, so SQS calls scale with batches, not events", async () => {
    const { deps } = fanoutDeps();
    const calls: number[] = [];
    deps.queue = {
      async send(tasks) {
        calls.push(tasks.length);
        return [];
      },
    };
    expect(await fanOut(['b1', 'b2', 'b3', 'b4', 'b5'].map(valid), deps)).toEqual([]);
    expect(calls).toEqual([5]);
  });

  it('hands back only the event whose task was not enqueued', async () => {
    const { deps } = fanoutDeps();
    deps.queue = {
      async send(tasks) {
        return tasks.flatMap((q, i) => (q.task.event.id === eventIdFor('acme', 'c2') ? [i] : []));
      },
    };
    expect(await fanOut(['c1', 'c2', 'c3'].map(valid), deps)).toEqual(['m-c2']);
  });
});
