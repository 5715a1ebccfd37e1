import { Conflict, InvalidRequest, NotFound } from '../errors';
import { newId } from '../ids';
import type { EventStore } from '../delivery/event-store';
import type { DeliveryTask, TaskQueue } from '../delivery/task';
import type { WebhookRepository } from '../webhooks/repository';
import type { Webhook } from '../webhooks/model';
import type { ExportJob, ExportRepository } from './exports';
import type { JobQueue } from './jobs';
import type { LogFilters } from './model';
import { toRecord } from './model';
import type { LogRepository } from './repository';
import { EXPORT_KEY_PREFIX, functionTimeoutsSeconds, queues } from '../resources';
import { EXPORT_FAILURES } from './export-job';

/**
 * A pending export older than this can no longer finish: SQS has handed its job over
 * maxReceiveCount times, each within the function's timeout, and dead-lettered it.
 */
export const EXPORT_STALE_AFTER_MS = (queues.export.visibilityTimeoutSeconds * queues.export.maxReceiveCount + functionTimeoutsSeconds.export) * 1000;

export interface LogServiceDeps {
  webhooks: WebhookRepository;
  logs: LogRepository;
  exports: ExportRepository;
  events: Pick<EventStore, 'get'>;
  jobs: JobQueue;
  deliveries: TaskQueue;
  /** A presigned GET for a finished export (15 minutes by default). */
  presign(key: string, fileName: string): Promise<{ url: string; expiresAt: string }>;
  now(): number;
}

/**
 * A failed attempt whose retry is this late never got its retry (the webhook was deactivated
 * meanwhile, and the task was dropped): recover counts that delivery as ended failed.
 */
export const RETRY_OVERDUE_MS = 15 * 60_000;

function checkRange(filters: LogFilters): void {
  if (filters.since && filters.until && Date.parse(filters.since) >= Date.parse(filters.until)) {
    throw new InvalidRequest('since must be before until.', [{ path: 'until', message: 'Must be after since.' }]);
  }
}

/**
 * A safe file name from the webhook's name: ASCII letters, digits, dashes (accents dropped,
 * "Données" becomes "Donnees"), so it needs no escaping in a Content-Disposition header.
 */
export function exportFileName(webhookName: string, at: number): string {
  const base = webhookName.normalize('NFKD').replace(/\p{M}+/gu, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'webhook';
  return `${base}-logs-${new Date(at).toISOString().slice(0, 10)}.csv`;
}

/** Logs, clearing, CSV exports, redelivery and recovery. */
export class LogService {
  constructor(private readonly deps: LogServiceDeps) {}

  async list(tenantId: string, webhookId: string, query: LogFilters & { limit: number; cursor?: string }) {
    checkRange(query);
    const webhook = await this.deps.webhooks.require(tenantId, webhookId);
    const page = await this.deps.logs.list(tenantId, webhookId, { ...query, clearedAt: webhook.logsClearedAt, now: this.deps.now() });
    return { items: page.items.map(toRecord), nextCursor: page.nextCursor };
  }

  /**
   * Clears at once, whatever the count: the webhook's clear mark hides every older record
   * in O(1) and a background job deletes them. Another webhook's logs are untouched.
   */
  async clear(tenantId: string, webhookId: string): Promise<void> {
    let at = '';
    // The delivery worker bumps the webhook's version as it counts failures; a clear should
    // not answer 409 for that, so it re-reads and tries again a few times.
    for (let round = 0; ; round++) {
      const webhook = await this.deps.webhooks.require(tenantId, webhookId);
      at = new Date(this.deps.now()).toISOString();
      try {
        await this.deps.webhooks.save({ ...webhook, logsClearedAt: at });
        break;
      } catch (error) {
        if (!(error instanceof Conflict) || round === 4) throw error;
      }
    }
    await this.deps.jobs.send({ type: 'purge', tenantId, webhookId, upTo: at });
  }

  async startExport(tenantId: string, webhookId: string, filters: LogFilters): Promise<ExportJob> {
    checkRange(filters);
    const webhook = await this.deps.webhooks.require(tenantId, webhookId);
    const now = this.deps.now();
    const id = newId('export', now);
    const job: ExportJob = {
      id,
      tenantId,
      webhookId,
      webhookName: webhook.name,
      status: 'pending',
      filters,
      rowCount: null,
      objectKey: `${EXPORT_KEY_PREFIX}${tenantId}/${id}.csv`,
      fileName: exportFileName(webhook.name, now),
      error: null,
      createdAt: new Date(now).toISOString(),
      completedAt: null,
    };
    await this.deps.exports.create(job);
    await this.deps.jobs.send({ type: 'export', tenantId, exportId: id });
    return job;
  }

  async getExport(tenantId: string, exportId: string) {
    const now = this.deps.now();
    let job = await this.deps.exports.get(tenantId, exportId, now);
    if (!job) throw new NotFound('export');
    if (job.status === 'pending' && now - Date.parse(job.createdAt) > EXPORT_STALE_AFTER_MS) {
      // Its message went to the dead-letter queue (the worker could not even record a failure).
      await this.deps.exports.finish(tenantId, exportId, { status: 'failed', error: EXPORT_FAILURES.stale }, new Date(now).toISOString());
      job = (await this.deps.exports.get(tenantId, exportId, now)) ?? job;
    }
    const link = job.status === 'ready' ? await this.deps.presign(job.objectKey, job.fileName) : null;
    return {
      id: job.id,
      webhookId: job.webhookId,
      status: job.status,
      rowCount: job.rowCount,
      url: link?.url ?? null,
      expiresAt: link?.expiresAt ?? null,
      createdAt: job.createdAt,
      completedAt: job.completedAt,
      error: job.error,
    };
  }

  private task(webhook: Webhook, event: DeliveryTask['event'], kind: DeliveryTask['kind'], now: number): DeliveryTask {
    return { v: 1, deliveryId: newId('delivery', now), tenantId: webhook.tenantId, webhookId: webhook.id, attempt: 1, dueAt: now, kind, event };
  }

  private async requireActive(tenantId: string, webhookId: string): Promise<Webhook> {
    const webhook = await this.deps.webhooks.require(tenantId, webhookId);
    if (webhook.status !== 'active') {
      throw new Conflict('not_active', `This webhook is ${webhook.status}; only active webhooks receive deliveries. Activate it first.`);
    }
    return webhook;
  }

  /**
   * Sends a stored event to this webhook again, as a new delivery with its own retries: the
   * same webhook-id (the event's id), a new deliveryId, kind `redelivery` in the log. The
   * event must be one of this tenant's (404 otherwise, as for an expired one), of a type the
   * webhook subscribes to (409 `not_subscribed`: the worker would drop it), and the webhook
   * must be active (409 `not_active`).
   */
  async redeliver(tenantId: string, webhookId: string, eventId: string): Promise<{ deliveryId: string }> {
    const webhook = await this.requireActive(tenantId, webhookId);
    const event = await this.deps.events.get(tenantId, eventId);
    if (!event) throw new NotFound('event');
    if (!(webhook.eventTypes as string[]).includes(event.type)) {
      throw new Conflict('not_subscribed', `This webhook is not subscribed to ${event.type}; add it to eventTypes to redeliver this event.`);
    }
    const { sourceEventId: _s, ...body } = event;
    const task = this.task(webhook, body, 'redelivery', this.deps.now());
    const failed = await this.deps.deliveries.send([{ task, delaySeconds: 0 }]);
    if (failed.length) throw new Error('The redelivery could not be enqueued.');
    return { deliveryId: task.deliveryId };
  }

  /**
   * Re-sends every event whose delivery to this webhook ended failed since `since`, each as a
   * new delivery of kind `recovery`. How a delivery ended is read from the newest attempt of
   * the event: a success or a retry still pending means nothing to recover; a last attempt
   * (retries exhausted, or 410) or a retry overdue by RETRY_OVERDUE_MS (dropped because the
   * webhook was deactivated meanwhile) means failed. `dryRun` only counts, and works on an
   * inactive webhook so that the count can be seen before reactivating.
   */
  async recover(tenantId: string, webhookId: string, since: string, dryRun: boolean): Promise<{ count: number }> {
    const webhook = dryRun ? await this.deps.webhooks.require(tenantId, webhookId) : await this.requireActive(tenantId, webhookId);
    const now = this.deps.now();
    if (Date.parse(since) > now) throw new InvalidRequest('since must not be in the future.', [{ path: 'since', message: 'Must be in the past.' }]);
    const subscribed = new Set<string>(webhook.eventTypes);
    // Newest first: the first record seen for an event tells how its latest delivery ended.
    const seen = new Set<string>();
    const failedEvents: string[] = [];
    for await (const page of this.deps.logs.iterate(tenantId, webhookId, { since, clearedAt: webhook.logsClearedAt, now })) {
      for (const record of page) {
        if (record.kind === 'validation' || record.kind === 'test') continue;
        if (seen.has(record.eventId)) continue;
        seen.add(record.eventId);
        if (record.outcome === 'succeeded' || !subscribed.has(record.eventType)) continue;
        const overdue = record.nextAttemptAt !== null && Date.parse(record.nextAttemptAt) < now - RETRY_OVERDUE_MS;
        if (record.terminal || overdue) failedEvents.push(record.eventId);
      }
    }
    // Events past their retention cannot be sent again; the count says what would really go.
    const events = [];
    for (let i = 0; i < failedEvents.length; i += 25) {
      const found = await Promise.all(failedEvents.slice(i, i + 25).map((id) => this.deps.events.get(tenantId, id)));
      for (const event of found) if (event) events.push(event);
    }
    if (dryRun || events.length === 0) return { count: events.length };
    const tasks = events.map(({ sourceEventId: _s, ...body }) => ({ task: this.task(webhook, body, 'recovery', now), delaySeconds: 0 }));
    const notSent = await this.deps.deliveries.send(tasks);
    if (notSent.length) throw new Error(`${notSent.length} of ${tasks.length} recovery deliveries could not be enqueued.`);
    return { count: tasks.length };
  }
}
