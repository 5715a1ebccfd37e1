import type { Envelope } from '../events/envelope';
import { errorFields, type Logger } from '../log';
import type { StoredAttempt } from '../logs/model';
import type { Webhook } from '../webhooks/model';
import { attemptRecord, sendSigned, type AttemptOutcome } from './attempt';
import type { Sender } from './http-sender';
import { nextDelaySeconds } from './retry';
import { deliveryTaskSchema, MAX_SQS_DELAY_SECONDS, type DeliveryTask, type QueuedTask, type TaskQueue } from './task';

export interface DeliveryRecord {
  messageId: string;
  body: string;
  receiveCount: number;
}

export interface DeliverDeps {
  /** Webhook reads, cached per container for a few seconds at most. */
  webhooks: {
    get(tenantId: string, id: string): Promise<Webhook | null>;
    recordTerminalFailure(tenantId: string, id: string, at: string): Promise<Webhook | null>;
    recordSuccess(tenantId: string, id: string): Promise<void>;
    deactivateFailing(tenantId: string, id: string, at: string): Promise<boolean>;
  };
  logs: {
    writeAll(records: StoredAttempt[]): Promise<void>;
    findAttempt(tenantId: string, webhookId: string, deliveryId: string, attempt: number, notBefore: number): Promise<StoredAttempt | null>;
  };
  queue: TaskQueue;
  sender: Sender;
  userAgent: string;
  autoDisable: { afterDays: number; minDeliveries: number };
  now(): number;
  random(): number;
  log: Logger;
  /** Called once per batch with its finished attempts (metrics). */
  onAttempts?(records: StoredAttempt[]): void;
}

/**
 * Webhooks this container saw start or extend a failing streak. The webhook read is cached
 * (a few seconds), so a success right after a terminal failure may still see
 * `failingSince: null`; remembering our own writes makes that success end the streak anyway.
 * Keyed by the deps, so each container (and each test) has its own.
 */
const knownFailing = new WeakMap<DeliverDeps, Set<string>>();
const MAX_KNOWN_FAILING = 10_000;

function failingSet(deps: DeliverDeps): Set<string> {
  let set = knownFailing.get(deps);
  if (!set) knownFailing.set(deps, (set = new Set()));
  return set;
}

/** First attempts carry no wait: tolerate this much clock skew rather than re-enqueue them. */
const FIRST_ATTEMPT_SKEW_MS = 2_000;

type Plan =
  | { kind: 'ack' }
  | { kind: 'requeue'; queued: QueuedTask }
  | { kind: 'attempted'; task: DeliveryTask; webhook: Webhook; record: StoredAttempt; fresh: boolean; next: QueuedTask | null };

/**
 * Delivers one SQS batch. Outcomes are sorted (Outpost's rule): a receiver failure is logged
 * and rescheduled by the webhook's policy and the message is done; our own failure (table,
 * queue) hands the message back to SQS; poison input and webhooks that are gone, inactive
 * or unsubscribed are acknowledged and dropped with a log line. Records run concurrently,
 * so one slow receiver does not hold the others.
 */
export async function deliverBatch(records: DeliveryRecord[], deps: DeliverDeps): Promise<string[]> {
  const failed = new Set<string>();
  const plans = await Promise.all(
    records.map(async (record): Promise<Plan> => {
      try {
        return await planRecord(record, deps);
      } catch (error) {
        deps.log.error('delivery could not be processed; SQS will hand it over again', { messageId: record.messageId, ...errorFields(error) });
        failed.add(record.messageId);
        return { kind: 'ack' };
      }
    }),
  );

  // One batch write for the whole batch's records: the log is the only write per attempt.
  const fresh = plans.flatMap((p, i) => (p.kind === 'attempted' && p.fresh ? [{ i, record: p.record }] : []));
  if (fresh.length) {
    try {
      await deps.logs.writeAll(fresh.map((f) => f.record));
    } catch (error) {
      deps.log.error('attempt log write failed; the tasks go back to SQS', { count: fresh.length, ...errorFields(error) });
      for (const f of fresh) failed.add(records[f.i]!.messageId);
    }
  }

  const outgoing: { i: number; queued: QueuedTask }[] = [];
  plans.forEach((p, i) => {
    if (failed.has(records[i]!.messageId)) return;
    if (p.kind === 'requeue') outgoing.push({ i, queued: p.queued });
    if (p.kind === 'attempted' && p.next) outgoing.push({ i, queued: p.next });
  });
  if (outgoing.length) {
    let notSent: number[];
    try {
      notSent = await deps.queue.send(outgoing.map((o) => o.queued));
    } catch (error) {
      deps.log.error('enqueue failed; the tasks go back to SQS', { count: outgoing.length, ...errorFields(error) });
      notSent = outgoing.map((_, index) => index);
    }
    for (const index of notSent) failed.add(records[outgoing[index]!.i]!.messageId);
  }

  const finished = plans.flatMap((p, i) => (p.kind === 'attempted' && p.fresh && !failed.has(records[i]!.messageId) ? [p.record] : []));
  if (finished.length) deps.onAttempts?.(finished);
  await Promise.all(
    plans.map(async (p, i) => {
      if (p.kind !== 'attempted' || failed.has(records[i]!.messageId)) return;
      // Health tracking is best effort: the attempt is logged and its retry enqueued already,
      // and handing the message back would POST again for a counter.
      await trackHealth(p, deps).catch((error) =>
        deps.log.error('webhook health tracking failed', { webhookId: p.webhook.id, ...errorFields(error) }),
      );
    }),
  );
  return records.filter((r) => failed.has(r.messageId)).map((r) => r.messageId);
}

async function planRecord(record: DeliveryRecord, deps: DeliverDeps): Promise<Plan> {
  let parsedBody: unknown;
  try {
    parsedBody = JSON.parse(record.body);
  } catch {
    parsedBody = undefined;
  }
  const parsed = deliveryTaskSchema.safeParse(parsedBody);
  if (!parsed.success) {
    deps.log.warn('dropped: not a delivery task', { messageId: record.messageId, issues: parsed.error.issues.slice(0, 5).map((i) => i.path.join('.')) });
    return { kind: 'ack' };
  }
  const task = parsed.data;
  const now = deps.now();
  // A first attempt is due when it is made; a few ms of clock skew between the container that
  // enqueued it and this one must not cost it a 1 s re-enqueue.
  const skewTolerance = task.attempt === 1 ? FIRST_ATTEMPT_SKEW_MS : 0;
  if (task.dueAt > now + skewTolerance) {
    // SQS delays stop at 15 minutes: a longer wait is chained, one hop at a time. Never early:
    // the wait may be a receiver's Retry-After.
    return { kind: 'requeue', queued: { task, delaySeconds: Math.min(MAX_SQS_DELAY_SECONDS, Math.ceil((task.dueAt - now) / 1000)) } };
  }
  const ids = { deliveryId: task.deliveryId, webhookId: task.webhookId, eventId: task.event.id, attempt: task.attempt };
  const webhook = await deps.webhooks.get(task.tenantId, task.webhookId);
  if (!webhook) {
    deps.log.info('dropped: the webhook no longer exists', ids);
    return { kind: 'ack' };
  }
  if (webhook.status !== 'active') {
    deps.log.info(`dropped: the webhook is ${webhook.status}`, ids);
    return { kind: 'ack' };
  }
  if (!(webhook.eventTypes as string[]).includes(task.event.type)) {
    deps.log.info('dropped: the webhook is no longer subscribed to this event type', ids);
    return { kind: 'ack' };
  }

  // Field order as the contract shows it; receivers see the same shape on every attempt.
  const { id, type, occurredAt, tenantId, data } = task.event;
  const envelope: Envelope = { id, type, occurredAt, tenantId, webhookId: webhook.id, data };
  if (record.receiveCount > 1) {
    // Handed over again: if this attempt was already sent and logged, do not POST twice.
    const logged = await deps.logs.findAttempt(task.tenantId, webhook.id, task.deliveryId, task.attempt, Math.min(task.dueAt, now) - 60_000);
    if (logged) {
      deps.log.info('attempt already logged; resuming after it', ids);
      return { kind: 'attempted', task, webhook, record: logged, fresh: false, next: logged.nextAttemptAt ? nextTask(task, Date.parse(logged.nextAttemptAt), now) : null };
    }
  }

  const outcome: AttemptOutcome = await sendSigned({ sender: deps.sender, webhook, envelope, userAgent: deps.userAgent, now: deps.now });
  const { result } = outcome;
  const delay = result.ok
    ? null
    : nextDelaySeconds({ policy: webhook.retryPolicy, attempt: task.attempt, statusCode: result.statusCode, retryAfter: result.retryAfter, now: deps.now(), random: deps.random });
  const attemptedMs = Date.parse(outcome.attemptedAt);
  const dueAt = delay === null ? null : attemptedMs + result.durationMs + delay * 1000;
  const record_ = attemptRecord({
    outcome,
    webhook,
    envelope,
    attempt: task.attempt,
    kind: task.kind,
    deliveryId: task.deliveryId,
    nextAttemptAt: dueAt === null ? null : new Date(dueAt).toISOString(),
    terminal: !result.ok && dueAt === null,
  });
  // Successes are counted by the metrics; a line each would cost more than the rest of the log.
  deps.log[result.ok ? 'debug' : 'info'](result.ok ? 'delivered' : 'attempt failed', {
    ...ids,
    statusCode: result.statusCode,
    error: result.error,
    durationMs: result.durationMs,
    nextAttemptAt: record_.nextAttemptAt,
  });
  return { kind: 'attempted', task, webhook, record: record_, fresh: true, next: dueAt === null ? null : nextTask(task, dueAt, deps.now()) };
}

function nextTask(task: DeliveryTask, dueAt: number, now: number): QueuedTask {
  return { task: { ...task, attempt: task.attempt + 1, dueAt }, delaySeconds: Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.ceil((dueAt - now) / 1000))) };
}

/**
 * Sustained failure: when every delivery has exhausted its retries for `afterDays` and at
 * least `minDeliveries` did, the webhook is deactivated with `deactivatedReason: failing`.
 * A 410 Gone ends that delivery's retries (see nextDelaySeconds) and counts as a failure.
 */
async function trackHealth(plan: Extract<Plan, { kind: 'attempted' }>, deps: DeliverDeps): Promise<void> {
  const { record, webhook } = plan;
  if (!plan.fresh) return;
  const failing = failingSet(deps);
  const key = `${webhook.tenantId}#${webhook.id}`;
  if (record.outcome === 'succeeded') {
    if (webhook.failingSince || failing.has(key)) {
      await deps.webhooks.recordSuccess(webhook.tenantId, webhook.id);
      failing.delete(key);
    }
    return;
  }
  if (!record.terminal) return;
  const updated = await deps.webhooks.recordTerminalFailure(webhook.tenantId, webhook.id, record.attemptedAt);
  if (!updated?.failingSince) return;
  if (failing.size >= MAX_KNOWN_FAILING) failing.clear();
  failing.add(key);
  const failingForMs = deps.now() - Date.parse(updated.failingSince);
  if (failingForMs >= deps.autoDisable.afterDays * 86_400_000 && updated.failedDeliveries >= deps.autoDisable.minDeliveries) {
    if (await deps.webhooks.deactivateFailing(webhook.tenantId, webhook.id, new Date(deps.now()).toISOString())) {
      failing.delete(key);
      deps.log.warn('webhook deactivated after sustained failure', {
        webhookId: webhook.id,
        tenantId: webhook.tenantId,
        failingSince: updated.failingSince,
        failedDeliveries: updated.failedDeliveries,
      });
    }
  }
}
