import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { config } from '../shared/config';
import { documentClient, sqsClient } from '../shared/aws/clients';
import { SqsTaskQueue } from '../shared/aws/sqs-task-queue';
import { userAgent } from '../shared/delivery/attempt';
import { deliverBatch, type DeliverDeps } from '../shared/delivery/deliver-batch';
import { createSender } from '../shared/delivery/http-sender';
import { emitAttemptMetrics } from '../shared/delivery/metrics';
import { createLogger } from '../shared/log';
import { LogRepository } from '../shared/logs/repository';
import { cachedWebhookReader } from '../shared/webhooks/cache';
import { WebhookRepository } from '../shared/webhooks/repository';
import { batchResponse, records } from './sqs';

let deps: DeliverDeps | undefined;

function build(): DeliverDeps {
  const cfg = config();
  if (!cfg.deliveryQueueUrl) throw new Error('Invalid configuration: DELIVERY_QUEUE_URL is required by the deliver function.');
  const db = documentClient();
  const repo = new WebhookRepository(db, cfg.tableName);
  // Strongly consistent: a deactivation is seen within the cache TTL, not the TTL plus replication lag.
  const read = cachedWebhookReader((tenantId, id) => repo.get(tenantId, id, true), cfg.webhookCacheTtlMs);
  return {
    webhooks: {
      get: read,
      recordTerminalFailure: (t, id, at) => repo.recordTerminalFailure(t, id, at),
      recordSuccess: (t, id) => repo.recordSuccess(t, id),
      deactivateFailing: (t, id, at) => repo.deactivateFailing(t, id, at),
    },
    logs: new LogRepository(db, cfg.tableName, cfg.logRetentionDays),
    queue: new SqsTaskQueue(sqsClient(), cfg.deliveryQueueUrl),
    sender: createSender({ connectTimeoutMs: cfg.connectTimeoutMs, attemptTimeoutMs: cfg.attemptTimeoutMs, allowHttp: cfg.allowHttp, allowLoopback: cfg.allowLoopback }),
    userAgent: userAgent(cfg.serviceVersion),
    autoDisable: { afterDays: cfg.autoDisableAfterDays, minDeliveries: cfg.autoDisableMinDeliveries },
    now: Date.now,
    random: Math.random,
    log: createLogger('deliver'),
    onAttempts: cfg.metrics ? (records) => emitAttemptMetrics(records) : undefined,
  };
}

/** Delivery queue -> signed POSTs, one log record per attempt, retries by policy. */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  deps ??= build();
  return batchResponse(await deliverBatch(records(event), deps));
}
