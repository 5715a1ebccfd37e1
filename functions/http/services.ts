import { GetObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { config } from '../../shared/config';
import { documentClient, s3Client, sqsClient } from '../../shared/aws/clients';
import { SqsTaskQueue } from '../../shared/aws/sqs-task-queue';
import { userAgent } from '../../shared/delivery/attempt';
import { EventStore } from '../../shared/delivery/event-store';
import { createSender } from '../../shared/delivery/http-sender';
import { ExportRepository } from '../../shared/logs/exports';
import type { JobQueue } from '../../shared/logs/jobs';
import { LogRepository } from '../../shared/logs/repository';
import { LogService } from '../../shared/logs/service';
import { WebhookRepository } from '../../shared/webhooks/repository';
import { WebhookService } from '../../shared/webhooks/service';
import { buildOpenApi } from './openapi';
import { routes } from './routes';

export interface Services {
  webhooks: WebhookService;
  logs: LogService;
  openapi(): unknown;
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`Invalid configuration: ${name} is required by the api function.`);
  return value;
}

/** The api function's collaborators, built once per container from the configuration. */
export function buildServices(): Services {
  const cfg = config();
  const db = documentClient();
  const repo = new WebhookRepository(db, cfg.tableName);
  const logs = new LogRepository(db, cfg.tableName, cfg.logRetentionDays);
  const sender = createSender({
    connectTimeoutMs: cfg.connectTimeoutMs,
    attemptTimeoutMs: cfg.attemptTimeoutMs,
    allowHttp: cfg.allowHttp,
    allowLoopback: cfg.allowLoopback,
  });
  const exportQueueUrl = required(cfg.exportQueueUrl, 'EXPORT_QUEUE_URL');
  const jobs: JobQueue = {
    async send(job) {
      await sqsClient().send(new SendMessageCommand({ QueueUrl: exportQueueUrl, MessageBody: JSON.stringify(job) }));
    },
  };
  const bucket = required(cfg.exportBucket, 'EXPORT_BUCKET');
  let openapi: unknown;
  return {
    webhooks: new WebhookService({
      repo,
      logs,
      sender,
      urlPolicy: { allowHttp: cfg.allowHttp, allowLoopback: cfg.allowLoopback },
      userAgent: userAgent(cfg.serviceVersion),
      now: Date.now,
    }),
    logs: new LogService({
      webhooks: repo,
      logs,
      exports: new ExportRepository(db, cfg.tableName, cfg.logRetentionDays),
      events: new EventStore(db, cfg.tableName, cfg.logRetentionDays),
      jobs,
      deliveries: new SqsTaskQueue(sqsClient(), required(cfg.deliveryQueueUrl, 'DELIVERY_QUEUE_URL')),
      async presign(key, fileName) {
        const expiresIn = cfg.exportUrlTtlSeconds;
        const url = await getSignedUrl(
          s3Client(),
          new GetObjectCommand({ Bucket: bucket, Key: key, ResponseContentDisposition: `attachment; filename="${fileName}"`, ResponseContentType: 'text/csv; charset=utf-8' }),
          { expiresIn },
        );
        return { url, expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString() };
      },
      now: Date.now,
    }),
    openapi: () => (openapi ??= buildOpenApi(routes, cfg.serviceVersion)),
  };
}
