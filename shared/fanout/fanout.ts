import * as z from 'zod';
import { parseDetail } from '../events/parse';
import { eventIdFor, newId } from '../ids';
import { errorFields, type Logger } from '../log';
import type { EventStore, StoredEvent } from '../delivery/event-store';
import type { DeliveryTask, TaskQueue } from '../delivery/task';
import type { Webhook } from '../webhooks/model';

/** The EventBridge event as the rule puts it into the ingest queue. */
const eventBridgeEventSchema = z.object({
  id: z.string().min(1),
  'detail-type': z.string(),
  source: z.string().optional(),
  time: z.string().optional(),
  detail: z.unknown(),
});

/** Events larger than this are refused: a delivery task must fit in one SQS message (256 KiB). */
export const MAX_DATA_BYTES = 192 * 1024;

export interface IngestRecord {
  messageId: string;
  body: string;
  receiveCount: number;
}

/** Why an ingest message was refused: the message attribute `reason` in the ingest DLQ. */
export type RefusalReason = 'not_json' | 'not_an_event' | 'schema' | 'too_large';

export interface Refusal {
  reason: RefusalReason;
  /** The EventBridge event id, or `unknown` when the message is not an EventBridge event. */
  eventId: string;
  detailType: string;
  /** The publisher's tenantId and id, when the detail has them: what an operator searches for. */
  tenantId: string | null;
  publisherId: string | null;
  issues: { path: string; message: string }[];
}

export interface FanoutDeps {
  events: Pick<EventStore, 'admit'>;
  webhooks: { listActive(tenantId: string): Promise<Webhook[]> };
  queue: TaskQueue;
  /** Keeps a refused event where an operator sees it (the ingest DLQ), with the reason. */
  deadLetter(body: string, refusal: Refusal): Promise<void>;
  log: Logger;
  now(): number;
}

/**
 * Pure fan-out: one task per active webhook subscribed to the event's type. The
 * dedupe key of each is `eventId:webhookId`.
 */
export function planDeliveries(event: StoredEvent, webhooks: Webhook[], now: number): DeliveryTask[] {
  const { sourceEventId: _source, ...body } = event;
  return webhooks
    .filter((w) => w.status === 'active' && w.tenantId === event.tenantId && (w.eventTypes as string[]).includes(event.type))
    .map((w) => ({
      v: 1 as const,
      deliveryId: newId('delivery', now),
      tenantId: event.tenantId,
      webhookId: w.id,
      attempt: 1,
      dueAt: now,
      kind: 'delivery' as const,
      event: body,
    }));
}

type Parsed = { ok: true; event: StoredEvent } | ({ ok: false } & Refusal);

/** The detail's own tenantId and id, if it has them as strings, however broken the rest is. */
function publisherKeys(detail: unknown): { tenantId: string | null; publisherId: string | null } {
  let value = detail;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      value = null;
    }
  }
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v.slice(0, 256) : null);
  return { tenantId: text(record.tenantId), publisherId: text(record.id) };
}

/** Turns an ingest message into an accepted event, or the reasons it is refused. */
export function parseIngestMessage(body: string, now: number = Date.now()): Parsed {
  const unknown = { eventId: 'unknown', detailType: 'unknown', tenantId: null, publisherId: null };
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'not_json', ...unknown, issues: [{ path: 'body', message: 'Not JSON.' }] };
  }
  const envelope = eventBridgeEventSchema.safeParse(raw);
  if (!envelope.success) {
    return { ok: false, reason: 'not_an_event', ...unknown, issues: [{ path: 'body', message: 'Not an EventBridge event.' }] };
  }
  const eb = envelope.data;
  const known = { eventId: eb.id, detailType: eb['detail-type'], ...publisherKeys(eb.detail) };
  const detail = parseDetail(eb['detail-type'], eb.detail);
  if (!detail.ok) return { ok: false, reason: 'schema', ...known, issues: detail.issues };
  const size = Buffer.byteLength(JSON.stringify(detail.value.data));
  if (size > MAX_DATA_BYTES) {
    return { ok: false, reason: 'too_large', ...known, issues: [{ path: 'data', message: `The data is ${size} bytes; at most ${MAX_DATA_BYTES} are delivered.` }] };
  }
  const { tenantId, id, occurredAt, data } = detail.value;
  const when = occurredAt ?? eb.time;
  return {
    ok: true,
    event: {
      // The idempotency key: the publisher's id, or else the EventBridge event id.
      id: eventIdFor(tenantId, id ?? eb.id),
      type: eb['detail-type'],
      occurredAt: when && !Number.isNaN(Date.parse(when)) ? new Date(when).toISOString() : new Date(now).toISOString(),
      tenantId,
      data,
      sourceEventId: eb.id,
    },
  };
}

/**
 * Processes one batch from the ingest queue. Returns the message ids to hand back to SQS
 * (our own failures); refused events are dead-lettered and acknowledged, never retried.
 */
export async function fanOut(records: IngestRecord[], deps: FanoutDeps): Promise<string[]> {
  const now = deps.now();
  const failed: string[] = [];
  const activeByTenant = new Map<string, Promise<Webhook[]>>();
  const active = (tenantId: string) => {
    let found = activeByTenant.get(tenantId);
    if (!found) {
      found = deps.webhooks.listActive(tenantId);
      activeByTenant.set(tenantId, found);
    }
    return found;
  };

  // Phase 1, per record and concurrently: parse, admit once, plan the tasks.
  const planned = await Promise.all(
    records.map(async (record): Promise<{ record: IngestRecord; event: StoredEvent; tasks: DeliveryTask[]; admission: string } | null> => {
      const parsed = parseIngestMessage(record.body, now);
      if (!parsed.ok) {
        const { ok: _ok, ...refusal } = parsed;
        deps.log.warn(`event refused (${refusal.reason}); kept in the ingest dead-letter queue`, {
          eventBridgeId: refusal.eventId,
          detailType: refusal.detailType,
          tenantId: refusal.tenantId,
          publisherId: refusal.publisherId,
          failedPaths: refusal.issues.map((i) => i.path),
          issues: refusal.issues,
        });
        try {
          await deps.deadLetter(record.body, refusal);
        } catch (error) {
          deps.log.error('could not dead-letter a refused event', { messageId: record.messageId, ...errorFields(error) });
          failed.push(record.messageId);
        }
        return null;
      }
      const { event } = parsed;
      try {
        // The webhook query does not depend on the admission: run both at once.
        const webhooks = active(event.tenantId);
        const [admission] = await Promise.all([deps.events.admit(event, record.receiveCount, now), webhooks]);
        if (admission === 'duplicate') {
          deps.log.info('duplicate event ignored', { eventId: event.id, tenantId: event.tenantId, type: event.type });
          return null;
        }
        return { record, event, tasks: planDeliveries(event, await webhooks, now), admission };
      } catch (error) {
        deps.log.error('fan-out failed; SQS will hand the event over again', { eventId: event.id, ...errorFields(error) });
        failed.push(record.messageId);
        return null;
      }
    }),
  );

  // Phase 2: the whole batch's tasks in as few SendMessageBatch calls as possible; a task
  // that was not enqueued hands its event back to SQS (deliveries dedupe on webhook-id).
  const accepted = planned.filter((p): p is NonNullable<typeof p> => p !== null);
  const owners = accepted.flatMap((p, owner) => p.tasks.map(() => owner));
  let notSent: number[];
  try {
    notSent = await deps.queue.send(accepted.flatMap((p) => p.tasks.map((task) => ({ task, delaySeconds: 0 }))));
  } catch (error) {
    deps.log.error('enqueueing delivery tasks failed', errorFields(error));
    notSent = owners.map((_, i) => i);
  }
  const failedOwners = new Set(notSent.map((i) => owners[i]!));
  accepted.forEach((p, owner) => {
    if (failedOwners.has(owner)) {
      deps.log.error('fan-out failed; SQS will hand the event over again', { eventId: p.event.id, notEnqueued: notSent.filter((i) => owners[i] === owner).length });
      failed.push(p.record.messageId);
    } else {
      deps.log.debug('event fanned out', { eventId: p.event.id, tenantId: p.event.tenantId, type: p.event.type, deliveries: p.tasks.length, admission: p.admission });
    }
  });
  return failed;
}
