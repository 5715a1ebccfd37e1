import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { errorFields, type Logger } from '../log';
import { toRecord } from './model';
import { csvRow, csvWriter } from './csv';
import type { ExportJob, ExportRepository } from './exports';
import type { LogRepository } from './repository';
import type { WebhookRepository } from '../webhooks/repository';

export interface ExportDeps {
  exports: Pick<ExportRepository, 'get' | 'finish'>;
  logs: Pick<LogRepository, 'iterate'>;
  webhooks: Pick<WebhookRepository, 'get'>;
  /**
   * Streams the body to object storage (a multipart upload on S3). When `signal` aborts, the
   * upload stops, rejects, and leaves no incomplete multipart upload behind.
   */
  upload(args: { key: string; body: Readable; fileName: string; signal: AbortSignal }): Promise<void>;
  now(): number;
  log: Logger;
}

export interface RunOptions {
  /**
   * Epoch ms by which the export must have ended (the function's timeout less a margin). A
   * job still running then ends `failed` instead of being cut off and left `pending`.
   */
  deadline?: number;
}

/** Why an export failed, as the API shows it. */
export const EXPORT_FAILURES = {
  write: 'The export could not be written. Start a new one.',
  tooLong: 'The export took too long. Narrow it with since/until or other filters and start a new one.',
  stale: 'The export did not finish. Start a new one.',
} as const;

class DeadlinePassed extends Error {}

/**
 * Runs one export: the matching records, page by page, through the CSV writer, straight
 * into the upload. Memory stays flat whatever the size: the writer's backpressure holds
 * the reads. A failure ends the job `failed` with a reason, never stuck `pending`; a job
 * that is missing or already finished is skipped (SQS may hand a message over twice).
 */
export async function runExport(tenantId: string, exportId: string, deps: ExportDeps, options: RunOptions = {}): Promise<void> {
  const job = await deps.exports.get(tenantId, exportId, deps.now());
  if (!job || job.status !== 'pending') {
    deps.log.info('export skipped: not pending', { exportId, status: job?.status ?? 'missing' });
    return;
  }
  const abort = new AbortController();
  const writer = csvWriter();
  // Once the upload has stopped reading, nothing else listens for the writer's errors.
  writer.on('error', () => {});
  let rows = 0;
  let producing: Promise<void> | undefined;
  let uploading: Promise<void> | undefined;
  // Whichever side fails first stops the other: a dead upload stops the reads, and a failed
  // read aborts the upload.
  const fail = (error: unknown): never => {
    if (!abort.signal.aborted) abort.abort(error);
    throw error;
  };
  try {
    // Strongly consistent: an export started right after a clear must not show cleared records.
    const webhook = await deps.webhooks.get(tenantId, job.webhookId, true);
    uploading = deps.upload({ key: job.objectKey, body: writer, fileName: job.fileName, signal: abort.signal });
    producing = (async () => {
      for await (const page of deps.logs.iterate(tenantId, job.webhookId, exportQuery(job, webhook?.logsClearedAt ?? null, deps.now()))) {
        if (options.deadline !== undefined && deps.now() > options.deadline) throw new DeadlinePassed();
        for (const record of page) {
          if (abort.signal.aborted) return;
          if (!writer.write(csvRow(toRecord(record)))) await once(writer, 'drain', { signal: abort.signal });
          rows++;
        }
      }
      writer.end();
    })();
    await Promise.all([producing.catch(fail), uploading.catch(fail)]);
  } catch (error) {
    if (!abort.signal.aborted) abort.abort(error);
    // Ends the upload's read too, should it not heed the signal.
    writer.destroy();
    await Promise.allSettled([producing, uploading]);
    const reason = error instanceof DeadlinePassed ? EXPORT_FAILURES.tooLong : EXPORT_FAILURES.write;
    deps.log.error('export failed', { exportId, rows, reason, ...errorFields(error) });
    await deps.exports.finish(tenantId, exportId, { status: 'failed', error: reason }, new Date(deps.now()).toISOString());
    return;
  }
  await deps.exports.finish(tenantId, exportId, { status: 'ready', rowCount: rows }, new Date(deps.now()).toISOString());
  deps.log.info('export ready', { exportId, rows });
}

/**
 * The export's filters plus two bounds: the clear mark, and the moment it was requested, so
 * that the file holds what the list showed then and not attempts that started later.
 */
function exportQuery(job: ExportJob, clearedAt: string | null, now: number) {
  const requested = Date.parse(job.createdAt) + 1;
  const until = job.filters.until && Date.parse(job.filters.until) < requested ? job.filters.until : new Date(requested).toISOString();
  return { ...job.filters, until, clearedAt, now };
}
