import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { errorFields, type Logger } from '../log';
import { toRecord } from './model';
import { csvRow, csvWriter } from './csv';
import type { ExportRepository } from './exports';
import type { LogRepository } from './repository';
import type { WebhookRepository } from '../webhooks/repository';

export interface ExportDeps {
  exports: Pick<ExportRepository, 'get' | 'finish'>;
  logs: Pick<LogRepository, 'iterate'>;
  webhooks: Pick<WebhookRepository, 'get'>;
  /** Streams the body to object storage (a multipart upload on S3). */
  upload(args: { key: string; body: Readable; fileName: string }): Promise<void>;
  now(): number;
  log: Logger;
}

/**
 * Runs one export: the matching records, page by page, through the CSV writer, straight
 * into the upload. Memory stays flat whatever the size: the writer's backpressure holds
 * the reads. A failure ends the job `failed` with a reason, never stuck `pending`.
 */
export async function runExport(tenantId: string, exportId: string, deps: ExportDeps): Promise<void> {
  const job = await deps.exports.get(tenantId, exportId);
  if (!job || job.status !== 'pending') {
    deps.log.info('export skipped: not pending', { exportId, status: job?.status ?? 'missing' });
    return;
  }
  const writer = csvWriter();
  let rows = 0;
  try {
    const webhook = await deps.webhooks.get(tenantId, job.webhookId, false);
    const uploading = deps.upload({ key: job.objectKey, body: writer, fileName: job.fileName });
    // If the upload fails early, stop feeding the writer.
    let uploadError: unknown;
    uploading.catch((e) => (uploadError = e));
    const producing = (async () => {
      for await (const page of deps.logs.iterate(tenantId, job.webhookId, { ...job.filters, clearedAt: webhook?.logsClearedAt ?? null, now: deps.now() })) {
        for (const record of page) {
          if (uploadError) throw uploadError;
          if (!writer.write(csvRow(toRecord(record)))) await once(writer, 'drain');
          rows++;
        }
      }
      writer.end();
    })();
    await Promise.all([producing, uploading]);
    await deps.exports.finish(tenantId, exportId, { status: 'ready', rowCount: rows }, new Date(deps.now()).toISOString());
    deps.log.info('export ready', { exportId, rows });
  } catch (error) {
    writer.destroy();
    deps.log.error('export failed', { exportId, ...errorFields(error) });
    await deps.exports.finish(tenantId, exportId, { status: 'failed', error: 'The export could not be written. Start a new one.' }, new Date(deps.now()).toISOString());
  }
}
