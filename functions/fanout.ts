import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { config } from '../shared/config';
import { documentClient, sqsClient } from '../shared/aws/clients';
import { SqsTaskQueue } from '../shared/aws/sqs-task-queue';
import { EventStore } from '../shared/delivery/event-store';
import { fanOut, type FanoutDeps } from '../shared/fanout/fanout';
import { createLogger } from '../shared/log';
import { WebhookRepository } from '../shared/webhooks/repository';
import { batchResponse, records } from './sqs';

let deps: FanoutDeps | undefined;

function build(): FanoutDeps {
  const cfg = config();
  if (!cfg.deliveryQueueUrl || !cfg.ingestDlqUrl) throw new Error('Invalid configuration: DELIVERY_QUEUE_URL and INGEST_DLQ_URL are required by the fanout function.');
  const db = documentClient();
  const dlq = cfg.ingestDlqUrl;
  return {
    events: new EventStore(db, cfg.tableName, cfg.logRetentionDays),
    webhooks: new WebhookRepository(db, cfg.tableName),
    queue: new SqsTaskQueue(sqsClient(), cfg.deliveryQueueUrl),
    async deadLetter(body, refusal) {
      // Message attributes: an operator reads why without parsing the body. SQS refuses empty values.
      const text = (value: string | null, max = 256) => ({ DataType: 'String', StringValue: (value || 'unknown').slice(0, max) });
      await sqsClient().send(
        new SendMessageCommand({
          QueueUrl: dlq,
          MessageBody: body,
          MessageAttributes: {
            reason: text(refusal.reason),
            eventId: text(refusal.eventId),
            detailType: text(refusal.detailType),
            tenantId: text(refusal.tenantId),
            publisherId: text(refusal.publisherId),
            failedPaths: text(refusal.issues.map((i) => i.path).join(','), 1000),
            issues: text(JSON.stringify(refusal.issues), 4000),
          },
        }),
      );
    },
    log: createLogger('fanout'),
    now: Date.now,
  };
}

/** Ingest queue -> one delivery task per subscribed active webhook. */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  deps ??= build();
  return batchResponse(await fanOut(records(event), deps));
}
