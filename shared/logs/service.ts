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
import { EXPORT_KEY_PREFIX } from '../../infra/resources';

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

function checkRange(filters: LogFilters): void {
  if (filters.since && filters.until && Date.parse(filters.since) >= Date.parse(filters.until)) {
    throw new InvalidRequest('since must be before until.', [{ path: 'until', message: 'Must be after since.' }]);
  }
}

/** A safe file name from the webhook's name: letters, digits, dashes. */
export function exportFileName(webhookName: string, at: number): string {
  const base = webhookName.normalize('NFKD').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'webhook';
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
    const webhook = await this.deps.webhooks.require(tenantId, webhookId);
    const at = new Date(this.deps.now()).toISOString();
    await this.deps.webhooks.save({ ...webhook, logsClearedAt: at });
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
    const job = await this.deps.exports.get(tenantId, exportId);
    if (!job) throw new NotFound('export');
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

  /** Sends a stored event to this webhook again, as a new delivery with its own retries. */
  async redeliver(tenantId: string, webhookId: string, eventId: string): Promise<{ deliveryId: string }> {
    const webhook = await this.requireActive(tenantId, webhookId);
    const event = await this.deps.events.get(tenantId, eventId);
    if (!event) throw new NotFound('event');
    const { sourceEventId: _s, ...body } = event;
    const task = this.task(webhook, body, 'redelivery', this.deps.now());
    const failed = await this.deps.deliveries.send([{ task, delaySeconds: 0 }]);
    if (failed.length) throw new Error('The redelivery could not be enqueued.');
    return { deliveryId: task.deliveryId };
  }

  /** Re-sends every event whose delivery to this webhook ended failed since `since`. */
  async recover(tenantId: string, webhookId: string, since: string, dryRun: boolean): Promise<{ count: number }> {
    const webhook = dryRun ? await this.deps.webhooks.require(tenantId, webhookId) : await this.requireActive(tenantId, webhookId);
    const now = this.deps.now();
    if (Date.parse(since) > now) throw new InvalidRequest('since must not be in the future.', [{ path: 'since', message: 'Must be in the past.' }]);
    // Newest first: the first record seen for an event tells how its latest delivery ended.
    const seen = new Set<string>();
    const failedEvents: string[] = [];
    for await (const page of this.deps.logs.iterate(tenantId, webhookId, { since, clearedAt: webhook.logsClearedAt, now })) {
      for (const record of page) {
        if (record.kind === 'validation' || record.kind === 'test') continue;
        if (seen.has(record.eventId)) continue;
        if (record.outcome === 'succeeded') {
          seen.add(record.eventId);
        } else if (record.terminal) {
          seen.add(record.eventId);
          failedEvents.push(record.eventId);
        }
      }
    }
    if (dryRun) return { count: failedEvents.length };
    const tasks = [];
    for (const eventId of failedEvents) {
      const event = await this.deps.events.get(tenantId, eventId);
      if (!event) continue;
      const { sourceEventId: _s, ...body } = event;
      tasks.push({ task: this.task(webhook, body, 'recovery', now), delaySeconds: 0 });
    }
    const notSent = await this.deps.deliveries.send(tasks);
    if (notSent.length) throw new Error(`${notSent.length} recovery deliveries could not be enqueued.`);
    return { count: tasks.length };
  }
}
