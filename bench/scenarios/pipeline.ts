/**
 * End-to-end throughput: PutEvents -> rule -> ingest queue -> fanout -> delivery queue ->
 * deliver -> receiver 2xx -> attempt log written, on the local stack (real handlers, real
 * pollers), against the floor: a loop that makes only the calls no implementation can
 * avoid (receive 10, POST each, write their log items, delete the batch).
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Agent } from 'undici';
import type { LocalStack } from '../../infra/local/stack';
import { provision } from '../../infra/local/provision';
import { attemptRecord as buildAttemptRecord, userAgent } from '../../shared/delivery/attempt';
import { signedHeaders } from '../../shared/delivery/signing';
import type { DeliveryTask } from '../../shared/delivery/task';
import type { StoredEvent } from '../../shared/delivery/event-store';
import { planDeliveries } from '../../shared/fanout/fanout';
import { eventIdFor, newId } from '../../shared/ids';
import { LogRepository } from '../../shared/logs/repository';
import { exampleData } from '../../shared/events/examples';
import type { Webhook } from '../../shared/webhooks/model';
import { WebhookRepository } from '../../shared/webhooks/repository';
import { activeWebhook, chunk, EVENT_TYPE, eventDetail, ingestBody, pooled, REGION, sdkConfig, sleep, type OwnClients } from '../fixtures';
import type { FastReceiver } from '../receiver';
import { progress, withTicker } from '../report';
import { itemSize, type RequestCounter, type Snapshot } from '../request-counter';

export const PIPELINE_TENANT = 'bench';

export interface PipelineRun {
  deliveries: number;
  ms: number;
  perSecond: number;
  /** Successful attempts logged in the window (the denominator of the per-delivery counts). */
  succeeded: number;
  /** Events published in the window. */
  events: number;
  /** Publisher ids of the window's events are `${publishPrefix}-<n>`. */
  publishPrefix: string;
  /** When the last PutEvents returned, ms into the run. */
  publishedMs: number;
  snapshot: Snapshot;
  /** POSTs the receiver answered beyond one per delivery (redeliveries). */
  extraPosts: number;
  /** Average size of an attempt-log item, bytes (DynamoDB's item size rules). */
  logItemBytes: number;
}

/** Seeds the pipeline's tenant with `count` active webhooks pointing at the receiver. */
export async function seedPipelineWebhooks(clients: OwnClients, table: string, receiver: FastReceiver, count: number): Promise<Webhook[]> {
  const repo = new WebhookRepository(clients.doc, table);
  const webhooks = Array.from({ length: count }, (_, i) => activeWebhook(PIPELINE_TENANT, `${receiver.url}/hooks/${i}`, { name: `Bench receiver ${i}` }));
  for (const webhook of webhooks) await repo.create(webhook);
  return webhooks;
}

async function publish(clients: OwnClients, bus: string, prefix: string, count: number): Promise<void> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  // PutEvents takes 10 entries; a few requests in flight, as an upstream publisher would.
  await pooled(chunk(ids, 10), 4, async (batch) => {
    const out = await clients.events.send(
      new PutEventsCommand({
        Entries: batch.map((id) => ({ EventBusName: bus, Source: 'lms.core', DetailType: EVENT_TYPE, Detail: JSON.stringify(eventDetail(PIPELINE_TENANT, id)) })),
      }),
    );
    if (out.FailedEntryCount) throw new Error(`PutEvents failed for ${out.FailedEntryCount} entries: ${JSON.stringify(out.Entries?.find((e) => e.ErrorCode))}`);
  });
}

async function until(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(10);
  }
}

/** Where the measured events enter: EventBridge PutEvents, or straight onto the ingest queue. */
export type PipelineSource = 'eventbridge' | 'ingest-queue';

/**
 * Puts events on the ingest queue as the rule's SQS target writes them. moto's PutEvents
 * spends about 0.3 s of CPU per event (it rebuilds a jsonpath parser for the target's
 * default input transformer), which caps the end-to-end run far below what the system's
 * own stages do; this entry point measures fan-out, delivery and logging without it.
 */
async function enqueue(clients: OwnClients, queueUrl: string, prefix: string, count: number): Promise<void> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  await pooled(chunk(ids, 10), 4, (batch) =>
    clients.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((id, i) => ({ Id: String(i), MessageBody: ingestBody(PIPELINE_TENANT, id) })) })),
  );
}

/**
 * One measured pipeline run, after a warm-up when `warmupEvents` > 0. The clock starts
 * before the first event is published and stops when the last expected attempt-log item
 * has been written (the counter sees every BatchWriteItem), so publishing overlaps
 * processing as it does in production.
 */
export async function runPipeline(args: {
  stack: LocalStack;
  clients: OwnClients;
  counter: RequestCounter;
  receiver: FastReceiver;
  webhooks: Webhook[];
  events: number;
  warmupEvents: number;
  timeoutMs: number;
  source: PipelineSource;
}): Promise<PipelineRun> {
  const { stack, clients, counter, receiver, webhooks } = args;
  const bus = stack.provisioned.names.eventBus;
  const perEvent = webhooks.length;
  const send = (prefix: string, count: number) =>
    args.source === 'eventbridge' ? publish(clients, bus, prefix, count) : enqueue(clients, stack.provisioned.queues.ingest.url, prefix, count);

  let base = counter.logItemsWritten;
  if (args.warmupEvents > 0) {
    progress(`pipeline: warm-up, ${args.warmupEvents} events x ${perEvent} webhooks`);
    await send(`warmup-${Date.now()}`, args.warmupEvents);
    await until(() => counter.logItemsWritten >= base + args.warmupEvents * perEvent, args.timeoutMs, () => 'the warm-up deliveries');
    await stack.idle();
  }

  const expected = args.events * perEvent;
  const loggedBefore = await countLogItems(clients, stack.provisioned.names.table, webhooks);
  base = counter.logItemsWritten;
  const succeededBase = counter.succeededLogItems;
  const postsBefore = (await receiver.stats()).received;
  progress(`pipeline (${args.source}): ${args.events} events x ${perEvent} webhooks`);
  counter.start();
  const started = performance.now();
  const publishPrefix = `run-${args.source}-${Date.now()}`;
  let publishedMs = 0;
  const publishing = send(publishPrefix, args.events).then(() => void (publishedMs = performance.now() - started));
  const done = until(() => counter.logItemsWritten >= base + expected, args.timeoutMs, () => `${expected} deliveries (have ${counter.logItemsWritten - base})`);
  await withTicker(
    `pipeline (${args.source})`,
    () => {
      const have = counter.logItemsWritten - base;
      return `${have}/${expected} deliveries logged, ${Math.round(have / ((performance.now() - started) / 1000))}/s`;
    },
    Promise.all([publishing, done]),
  );
  const ms = performance.now() - started;
  const snapshot = counter.stop();
  const succeeded = counter.succeededLogItems - succeededBase;

  await stack.idle();
  const postsAfter = (await receiver.stats()).received;
  // The table must hold what the counter saw: one log item per delivery and webhook.
  const logged = await countLogItems(clients, stack.provisioned.names.table, webhooks);
  if (logged.count - loggedBefore.count < expected) {
    throw new Error(`pipeline: the log table gained ${logged.count - loggedBefore.count} attempt items, expected ${expected}`);
  }
  return {
    deliveries: expected,
    ms,
    perSecond: expected / (ms / 1000),
    succeeded,
    events: args.events,
    publishPrefix,
    publishedMs,
    snapshot,
    extraPosts: postsAfter - postsBefore - expected,
    logItemBytes: logged.averageBytes,
  };
}

async function countLogItems(clients: OwnClients, table: string, webhooks: Webhook[]): Promise<{ count: number; averageBytes: number }> {
  let count = 0;
  let bytes = 0;
  let sampled = 0;
  for (const webhook of webhooks) {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const out = await clients.doc.send(
        new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `LOG#${PIPELINE_TENANT}#${webhook.id}` }, ExclusiveStartKey }),
      );
      for (const item of out.Items ?? []) {
        count += 1;
        if (sampled < 200) {
          bytes += itemSize(item);
          sampled += 1;
        }
      }
      ExclusiveStartKey = out.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
  return { count, averageBytes: sampled ? bytes / sampled : 0 };
}

// ---- the floor ---------------------------------------------------------------------------

export interface FloorRun {
  deliveries: number;
  ms: number;
  perSecond: number;
  snapshot: Snapshot;
  /** Time spent per batch between receiving it and deleting it (what a handler would be billed). */
  batchMs: number[];
}

/**
 * The floor: `concurrency` workers that receive 10 delivery tasks, POST each (signed, as the
 * contract requires), write their attempt records in one BatchWriteItem and delete the batch.
 * It runs on its own provisioned resources on the same moto, against the same receiver, with
 * the same message bodies (built by the real fan-out planner) and the same SDK clients'
 * settings as the handlers; its requests are counted like the system's.
 */
export async function runFloor(args: {
  endpoint: string;
  counter: RequestCounter;
  clients: OwnClients;
  receiver: FastReceiver;
  deliveries: number;
  warmupDeliveries: number;
  concurrency: number;
  timeoutMs: number;
}): Promise<FloorRun> {
  const { counter, clients, receiver } = args;
  const target = { endpoint: args.endpoint, region: REGION };
  const provisioned = await provision(target, 'bench-floor-');
  const queueUrl = provisioned.queues.delivery.url;
  const table = provisioned.names.table;
  counter.labelQueue(queueUrl, 'floor');
  const webhooks = [0, 1].map((i) => activeWebhook(PIPELINE_TENANT, `${receiver.url}/hooks/${i}`));

  // The floor's clients are counted (not the bench's own), with the handlers' settings.
  const sqs = new SQSClient({ ...sdkConfig(args.endpoint), maxAttempts: 3 });
  const ddb = new DynamoDBClient({ ...sdkConfig(args.endpoint), maxAttempts: 3 });
  const doc = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
  const logs = new LogRepository(doc, table, 30);
  const agent = new Agent({ connectTimeout: 5_000, headersTimeout: 15_000, bodyTimeout: 15_000 });
  const ua = userAgent('bench');

  const seed = async (count: number, prefix: string) => {
    const tasks: DeliveryTask[] = [];
    for (let i = 0; tasks.length < count; i++) {
      const event: StoredEvent = {
        id: eventIdFor(PIPELINE_TENANT, `${prefix}-${i}`),
        type: EVENT_TYPE,
        occurredAt: new Date().toISOString(),
        tenantId: PIPELINE_TENANT,
        data: exampleData(EVENT_TYPE),
        sourceEventId: crypto.randomUUID(),
      };
      tasks.push(...planDeliveries(event, webhooks, Date.now()));
    }
    await pooled(chunk(tasks.slice(0, count), 10), 8, (batch) =>
      clients.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((t, i) => ({ Id: String(i), MessageBody: JSON.stringify(t) })) })),
    );
  };

  const byId = new Map(webhooks.map((w) => [w.id, w]));
  const batchMs: number[] = [];
  // Resolves with the time the last delivery's batch was deleted, not when the workers
  // return: an idle worker's last long poll (up to 1 s) is not delivery work.
  const drain = async (total: number): Promise<number> => {
    let done = 0;
    let finishedAt = 0;
    const deadline = Date.now() + args.timeoutMs;
    const worker = async () => {
      while (done < total) {
        if (Date.now() > deadline) throw new Error(`floor: timed out with ${done}/${total} deliveries`);
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        if (Messages.length === 0) continue;
        const t0 = performance.now();
        const records = await Promise.all(
          Messages.map(async (message) => {
            const task = JSON.parse(message.Body!) as DeliveryTask;
            const webhook = byId.get(task.webhookId)!;
            const envelope = { ...task.event, webhookId: webhook.id };
            const body = JSON.stringify(envelope);
            const started = Date.now();
            const sent = performance.now();
            const response = await agent.request({
              origin: new URL(webhook.url).origin,
              path: new URL(webhook.url).pathname,
              method: 'POST',
              headers: signedHeaders({ msgId: envelope.id, timestampSeconds: Math.floor(started / 1000), body, secrets: [webhook.secret], userAgent: ua }),
              body,
            });
            const excerpt = await response.body.text();
            if (response.statusCode < 200 || response.statusCode >= 300) throw new Error(`floor: receiver answered ${response.statusCode}`);
            return buildAttemptRecord({
              outcome: {
                id: newId('attempt', started),
                attemptedAt: new Date(started).toISOString(),
                result: { ok: true, statusCode: response.statusCode, durationMs: Math.round(performance.now() - sent), error: null, errorMessage: null, responseExcerpt: excerpt, retryAfter: null },
              },
              webhook,
              envelope,
              attempt: task.attempt,
              kind: task.kind,
              deliveryId: task.deliveryId,
              nextAttemptAt: null,
              terminal: false,
            });
          }),
        );
        await logs.writeAll(records);
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
        batchMs.push(performance.now() - t0);
        done += Messages.length;
        if (done >= total && !finishedAt) finishedAt = performance.now();
      }
    };
    await Promise.all(Array.from({ length: args.concurrency }, worker));
    return finishedAt;
  };

  try {
    progress(`floor: warm-up, ${args.warmupDeliveries} deliveries`);
    await seed(args.warmupDeliveries, `floor-warmup-${Date.now()}`);
    await drain(args.warmupDeliveries);
    batchMs.length = 0;

    await seed(args.deliveries, `floor-run-${Date.now()}`);
    await sleep(100);
    progress(`floor: ${args.deliveries} deliveries, ${args.concurrency} workers`);
    counter.start();
    const started = performance.now();
    const finishedAt = await drain(args.deliveries);
    const ms = finishedAt - started;
    const snapshot = counter.stop();
    return { deliveries: args.deliveries, ms, perSecond: args.deliveries / (ms / 1000), snapshot, batchMs };
  } finally {
    await agent.close();
    sqs.destroy();
    ddb.destroy();
  }
}
