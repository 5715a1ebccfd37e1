// The export worker's failure paths, with real repositories on moto and a scripted upload
// (the S3 side of these failures is not something moto can be made to do on cue).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Readable, Writable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startMoto, type MotoServer } from '../../infra/local/moto';
import { provision } from '../../infra/local/provision';
import { newId, ulidAt } from '../../shared/ids';
import { createLogger } from '../../shared/log';
import { EXPORT_FAILURES, runExport, type ExportDeps } from '../../shared/logs/export-job';
import { ExportRepository, type ExportJob } from '../../shared/logs/exports';
import type { StoredAttempt } from '../../shared/logs/model';
import { LogRepository } from '../../shared/logs/repository';
import { EXPORT_STALE_AFTER_MS, LogService, type LogServiceDeps } from '../../shared/logs/service';
import type { Webhook } from '../../shared/webhooks/model';

const TENANT = 'acme';
const silent = createLogger('export-test', () => {});

describe('export worker', () => {
  let moto: MotoServer;
  let db: DynamoDBDocumentClient;
  let exports: ExportRepository;
  let logs: LogRepository;

  beforeAll(async () => {
    moto = await startMoto({ port: 0 });
    const { names } = await provision({ endpoint: moto.endpoint, region: 'us-east-1' }, 'job-');
    db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), {
      marshallOptions: { removeUndefinedValues: true },
    });
    exports = new ExportRepository(db, names.table, 30);
    logs = new LogRepository(db, names.table, 30);
  });
  afterAll(async () => {
    db?.destroy();
    await moto?.stop();
  });

  function record(webhookId: string, ms: number): StoredAttempt {
    return {
      id: `att_${ulidAt(ms)}`,
      tenantId: TENANT,
      webhookId,
      eventId: newId('event'),
      eventType: 'badge.awarded',
      attempt: 1,
      attemptedAt: new Date(ms).toISOString(),
      url: 'https://hooks.example.com',
      outcome: 'succeeded',
      statusCode: 200,
      durationMs: 3,
      error: null,
      nextAttemptAt: null,
      responseExcerpt: 'x'.repeat(1000),
      kind: 'delivery',
      deliveryId: null,
      terminal: false,
    };
  }

  /** A webhook with `count` records, one a second up to a minute ago, and a pending export of it. */
  async function pendingExport(count: number, createdAt = Date.now()): Promise<ExportJob> {
    const webhookId = newId('webhook');
    const start = Date.now() - 60_000 - count * 1000;
    await logs.writeAll(Array.from({ length: count }, (_, i) => record(webhookId, start + i * 1000)));
    const id = newId('export');
    const job: ExportJob = {
      id,
      tenantId: TENANT,
      webhookId,
      webhookName: 'Job test',
      status: 'pending',
      filters: {},
      rowCount: null,
      objectKey: `exports/${TENANT}/${id}.csv`,
      fileName: 'Job-test-logs-2026-12-04.csv',
      error: null,
      createdAt: new Date(createdAt).toISOString(),
      completedAt: null,
    };
    await exports.create(job);
    return job;
  }

  /** Reads the body to the end, as S3 would, and keeps it. */
  const collecting = () => {
    const bodies: string[] = [];
    const upload: ExportDeps['upload'] = async ({ body }) => {
      let text = '';
      for await (const chunk of body as AsyncIterable<Buffer | string>) text += String(chunk);
      bodies.push(text);
    };
    return { bodies, upload };
  };

  /** The log, watched: how many pages were read and whether the reader was closed. */
  function watched() {
    const state = { pages: 0, closed: false };
    const source: ExportDeps['logs'] = {
      async *iterate(...args) {
        try {
          for await (const page of logs.iterate(...args)) {
            state.pages++;
            yield page;
          }
        } finally {
          state.closed = true;
        }
      },
    };
    return { state, source };
  }

  const deps = (overrides: Partial<ExportDeps>): ExportDeps => ({
    exports,
    logs,
    webhooks: { get: async () => ({ logsClearedAt: null }) as Webhook },
    upload: collecting().upload,
    now: Date.now,
    log: silent,
    ...overrides,
  });

  it('writes the records attempted before the export was asked for, and ends ready with the row count', async () => {
    const job = await pendingExport(30, Date.now() - 30_000);
    // Started after the export was requested: not in the file.
    await logs.writeAll([record(job.webhookId, Date.now() - 10_000)]);
    const { bodies, upload } = collecting();
    await runExport(TENANT, job.id, deps({ upload }));
    expect(await exports.get(TENANT, job.id)).toMatchObject({ status: 'ready', rowCount: 30, error: null });
    expect(bodies[0]!.split('\r\n')).toHaveLength(1 + 30 + 1);
  });

  it('stops reading and ends failed when the upload dies without reading a byte', async () => {
    const job = await pendingExport(600);
    const { state, source } = watched();
    // Dies once the writer is full and waits for a drain that will never come.
    const upload: ExportDeps['upload'] = async ({ body }) => {
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => (body as unknown as Writable).writableNeedDrain && (clearInterval(timer), resolve()), 5);
      });
      throw new Error('AccessDenied');
    };
    await runExport(TENANT, job.id, deps({ logs: source, upload }));
    expect(await exports.get(TENANT, job.id)).toMatchObject({ status: 'failed', error: EXPORT_FAILURES.write, rowCount: null });
    // Not left waiting for the writer to drain: the reader was closed after the first page.
    expect(state.closed).toBe(true);
    expect(state.pages).toBe(1);
  });

  it('aborts the upload and ends failed when reading the log fails midway', async () => {
    const job = await pendingExport(600);
    let signalSeen: AbortSignal | undefined;
    const upload: ExportDeps['upload'] = async ({ body, signal }) => {
      signalSeen = signal;
      await new Promise<void>((resolve, reject) => {
        (body as Readable).on('data', () => {});
        signal.addEventListener('abort', () => reject(signal.reason));
        (body as Readable).on('end', resolve);
      });
    };
    const failing: ExportDeps['logs'] = {
      async *iterate(...args) {
        let n = 0;
        for await (const page of logs.iterate(...args)) {
          if (++n === 2) throw new Error('ProvisionedThroughputExceededException');
          yield page;
        }
      },
    };
    await runExport(TENANT, job.id, deps({ logs: failing, upload }));
    expect(signalSeen?.aborted).toBe(true);
    expect(await exports.get(TENANT, job.id)).toMatchObject({ status: 'failed', error: EXPORT_FAILURES.write });
  });

  it('ends failed, asking for narrower filters, when it would outrun the function timeout', async () => {
    const job = await pendingExport(600);
    const { state, source } = watched();
    let aborted = false;
    const upload: ExportDeps['upload'] = async ({ body, signal }) => {
      signal.addEventListener('abort', () => (aborted = true));
      for await (const _ of body as AsyncIterable<unknown>) if (signal.aborted) throw signal.reason;
    };
    await runExport(TENANT, job.id, deps({ logs: source, upload }), { deadline: Date.now() - 1 });
    expect(await exports.get(TENANT, job.id)).toMatchObject({ status: 'failed', error: EXPORT_FAILURES.tooLong });
    expect(aborted).toBe(true);
    expect(state.closed).toBe(true);
  });

  it('skips a job that is missing or already finished (SQS may deliver a message twice)', async () => {
    let uploads = 0;
    const counting: ExportDeps['upload'] = async (args) => {
      uploads++;
      await collecting().upload(args);
    };
    await runExport(TENANT, newId('export'), deps({ upload: counting }));
    expect(uploads).toBe(0);

    const job = await pendingExport(3);
    await runExport(TENANT, job.id, deps({ upload: counting }));
    const first = await exports.get(TENANT, job.id);
    await runExport(TENANT, job.id, deps({ upload: counting }));
    expect(uploads).toBe(1);
    expect(await exports.get(TENANT, job.id)).toEqual(first);
  });

  it('reports an export whose job can no longer run as failed rather than pending forever', async () => {
    const stale = await pendingExport(1, Date.now() - EXPORT_STALE_AFTER_MS - 60_000);
    const fresh = await pendingExport(1, Date.now() - 60_000);
    const service = new LogService({
      exports,
      logs,
      now: Date.now,
      presign: async () => ({ url: 'http://127.0.0.1/x', expiresAt: new Date().toISOString() }),
    } as unknown as LogServiceDeps);
    expect(await service.getExport(TENANT, stale.id)).toMatchObject({ status: 'failed', error: EXPORT_FAILURES.stale, url: null });
    expect(await exports.get(TENANT, stale.id)).toMatchObject({ status: 'failed' });
    expect(await service.getExport(TENANT, fresh.id)).toMatchObject({ status: 'pending' });
  });

  it('hides an export record past its retention, though DynamoDB still holds it', async () => {
    const old = await pendingExport(1, Date.now() - 8 * 86_400_000);
    expect(await exports.get(TENANT, old.id)).toBeNull();
    expect(await exports.get(TENANT, old.id, Date.now() - 7 * 86_400_000)).not.toBeNull();
  });
});
