import { Upload } from '@aws-sdk/lib-storage';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { config } from '../shared/config';
import { documentClient, s3Client } from '../shared/aws/clients';
import { createLogger, errorFields } from '../shared/log';
import { runExport, type ExportDeps } from '../shared/logs/export-job';
import { ExportRepository } from '../shared/logs/exports';
import { jobSchema } from '../shared/logs/jobs';
import { LogRepository } from '../shared/logs/repository';
import { WebhookRepository } from '../shared/webhooks/repository';
import { batchResponse, records } from './sqs';

const log = createLogger('export');
let deps: (ExportDeps & { logRepo: LogRepository }) | undefined;

function build() {
  const cfg = config();
  const bucket = cfg.exportBucket;
  if (!bucket) throw new Error('Invalid configuration: EXPORT_BUCKET is required by the export function.');
  const db = documentClient();
  const logRepo = new LogRepository(db, cfg.tableName, cfg.logRetentionDays);
  return {
    logRepo,
    exports: new ExportRepository(db, cfg.tableName, cfg.logRetentionDays),
    logs: logRepo,
    webhooks: new WebhookRepository(db, cfg.tableName),
    async upload({ key, body, fileName, signal }) {
      // Multipart upload of the stream: parts of 5 MiB, at most 2 in flight, so memory stays flat.
      // On abort (or any error) lib-storage aborts the multipart upload, so no parts linger.
      const upload = new Upload({
        client: s3Client(),
        params: {
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: 'text/csv; charset=utf-8',
          ContentDisposition: `attachment; filename="${fileName}"`,
        },
        queueSize: 2,
        partSize: 5 * 1024 * 1024,
      });
      const onAbort = () => void upload.abort().catch(() => {});
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await upload.done();
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    now: Date.now,
    log,
  } satisfies ExportDeps & { logRepo: LogRepository };
}

/** Time kept back from the function's timeout to end a long export as `failed` and record it. */
const DEADLINE_MARGIN_MS = 20_000;

/** Export queue: CSV exports to S3, and background purges of cleared logs. */
export async function handler(event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> {
  deps ??= build();
  const d = deps;
  const failed: string[] = [];
  for (const record of records(event)) {
    let job;
    try {
      job = jobSchema.parse(JSON.parse(record.body));
    } catch {
      log.warn('dropped: not a job', { messageId: record.messageId });
      continue;
    }
    try {
      if (job.type === 'export') {
        const deadline = context ? Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS : undefined;
        await runExport(job.tenantId, job.exportId, d, { deadline });
      } else {
        log.info('purged cleared logs', { webhookId: job.webhookId, deleted: await d.logRepo.purge(job.tenantId, job.webhookId, job.upTo) });
      }
    } catch (error) {
      log.error('job failed; SQS will hand it over again', { type: job.type, ...errorFields(error) });
      failed.push(record.messageId);
    }
  }
  return batchResponse(failed);
}
