/** Realistic data for the scenarios: webhooks, ingest messages, delivery tasks, attempt records. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { exampleData } from '../shared/events/examples';
import { ulidAt } from '../shared/ids';
import { newSecret } from '../shared/delivery/signing';
import type { StoredAttempt } from '../shared/logs/model';
import type { Webhook } from '../shared/webhooks/model';
import { webhookFixture } from '../test/fixtures/webhooks';
import type { RequestCounter } from './request-counter';

export const EVENT_TYPE = 'badge.awarded';
export const REGION = 'us-east-1';

/** An active, validated webhook as the service stores it (the tests' factory, a fresh secret). */
export function activeWebhook(tenantId: string, url: string, overrides: Partial<Webhook> = {}): Webhook {
  return webhookFixture({ tenantId, url, name: 'Bench receiver', eventTypes: [EVENT_TYPE], secret: newSecret(), ...overrides }, Date.now());
}

/** The `detail` an upstream system publishes. */
export function eventDetail(tenantId: string, id: string) {
  return { tenantId, id, occurredAt: new Date().toISOString(), data: exampleData(EVENT_TYPE) };
}

/** An ingest-queue message body as the EventBridge rule's SQS target writes it. */
export function ingestBody(tenantId: string, id: string): string {
  return JSON.stringify({
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': EVENT_TYPE,
    source: 'lms.core',
    account: '123456789012',
    time: new Date().toISOString(),
    region: REGION,
    resources: [],
    detail: eventDetail(tenantId, id),
  });
}

/** An attempt record shaped like the delivery worker's, `at` ms since the epoch. */
export function attemptRecord(tenantId: string, webhookId: string, url: string, at: number, index: number): StoredAttempt {
  const failed = index % 7 === 3;
  return {
    id: `att_${ulidAt(at)}`,
    tenantId,
    webhookId,
    eventId: `evt_${ulidAt(at - 250)}`,
    eventType: EVENT_TYPE,
    attempt: failed ? 2 : 1,
    attemptedAt: new Date(at).toISOString(),
    url,
    outcome: failed ? 'failed' : 'succeeded',
    statusCode: failed ? 503 : 200,
    durationMs: 40 + (index % 200),
    error: failed ? 'http_status' : null,
    nextAttemptAt: failed ? new Date(at + 300_000).toISOString() : null,
    responseExcerpt: failed ? 'Service Unavailable, try again later' : 'ok',
    kind: 'delivery',
    deliveryId: `dlv_${ulidAt(at - 200)}`,
    terminal: false,
  };
}

/** SDK client settings for moto on `endpoint`. */
export function sdkConfig(endpoint: string) {
  return { endpoint, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

/** The bench's own clients: marked so that the counter never counts them. */
export function ownClients(endpoint: string, counter: RequestCounter) {
  const config = sdkConfig(endpoint);
  const ddb = new DynamoDBClient({ ...config, maxAttempts: 3 });
  const doc = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
  counter.own(ddb);
  const sqs = counter.own(new SQSClient({ ...config, maxAttempts: 3 }));
  const s3 = counter.own(new S3Client({ ...config, forcePathStyle: true }));
  const events = counter.own(new EventBridgeClient(config));
  return {
    ddb,
    doc,
    sqs,
    s3,
    events,
    destroy() {
      ddb.destroy();
      sqs.destroy();
      s3.destroy();
      events.destroy();
    },
  };
}
export type OwnClients = ReturnType<typeof ownClients>;

/** Runs `work` over `items` with at most `limit` at a time. */
export async function pooled<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** Splits `items` into arrays of at most `size`. */
export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
