/**
 * A CSV export of N attempt records through the real export function, in a child process,
 * against the floor: plain Query paging of the same records in the same kind of child.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { provision } from '../../infra/local/provision';
import { ENV } from '../../infra/resources';
import { newId } from '../../shared/ids';
import { ExportRepository } from '../../shared/logs/exports';
import { LogRepository } from '../../shared/logs/repository';
import { WebhookRepository } from '../../shared/webhooks/repository';
import type { ExportChildResult } from '../export-child';
import { activeWebhook, attemptRecord, chunk, pooled, REGION, type OwnClients } from '../fixtures';
import { bundleEntry, lambdaBundling } from '../lambda-bundle';
import { median, progress, withTicker } from '../report';

const TENANT = 'bench-export';

export interface ExportRun {
  rows: number;
  exports: ExportChildResult[];
  raws: ExportChildResult[];
  csvBytes: number;
  seedMs: number;
}

function runChild(file: string, argv: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ExportChildResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [file, ...argv], { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`export child (${argv[0]}) failed: ${stderr || error.message}`));
      const line = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as ExportChildResult);
      } catch {
        reject(new Error(`export child (${argv[0]}) printed no result: ${stdout.slice(-500)} ${stderr.slice(-500)}`));
      }
    });
  });
}

/** Provisions its own table and bucket, seeds `rows` records, then alternates floor and export children. */
export async function runExportBench(args: { endpoint: string; clients: OwnClients; dir: string; rows: number; runs: number; timeoutMs: number }): Promise<ExportRun> {
  const { clients } = args;
  const provisioned = await provision({ endpoint: args.endpoint, region: REGION }, 'bench-export-');
  const table = provisioned.names.table;
  const bucket = provisioned.names.exportBucket;

  const webhook = activeWebhook(TENANT, 'https://receiver.example.com/hooks');
  await new WebhookRepository(clients.doc, table).create(webhook);

  // Records spread over the last hours, newest first as the export reads them; TTL in the future.
  progress(`export: seeding ${args.rows} attempt records`);
  const logs = new LogRepository(clients.doc, table, 30);
  const now = Date.now();
  const records = Array.from({ length: args.rows }, (_, i) => attemptRecord(TENANT, webhook.id, webhook.url, now - (args.rows - i) * 200, i));
  let seeded = 0;
  const seedStarted = performance.now();
  await withTicker(
    'export seed',
    () => `${seeded}/${args.rows} records`,
    pooled(chunk(records, 500), 4, async (slice) => {
      await logs.writeAll(slice);
      seeded += slice.length;
    }),
    2_000,
  );
  const seedMs = performance.now() - seedStarted;

  const bundled = await bundleEntry('bench/export-child.ts', join(args.dir, 'export-child', 'index.mjs'), lambdaBundling());
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    [ENV.tableName]: table,
    [ENV.exportBucket]: bucket,
    [ENV.awsEndpoint]: args.endpoint,
    LOG_LEVEL: 'warn',
    NODE_OPTIONS: '--enable-source-maps',
  };

  const exportsRepo = new ExportRepository(clients.doc, table, 30);
  const newJob = async () => {
    const id = newId('export');
    await exportsRepo.create({
      id,
      tenantId: TENANT,
      webhookId: webhook.id,
      webhookName: webhook.name,
      status: 'pending',
      filters: {},
      rowCount: null,
      objectKey: `exports/${TENANT}/${id}.csv`,
      fileName: `bench-${id}.csv`,
      error: null,
      createdAt: new Date().toISOString(),
      completedAt: null,
    });
    return id;
  };

  const exports: ExportChildResult[] = [];
  const raws: ExportChildResult[] = [];
  let lastExportId = '';
  // No warm-up pass: each run is a fresh process, as an export invocation is, and moto keeps
  // no caches. Floor and export alternate, so that drift in the machine's load hits both.
  for (let run = 0; run < args.runs; run++) {
    const rawResult = await runChild(bundled.file, ['raw', TENANT, webhook.id, '-'], env, args.timeoutMs);
    raws.push(rawResult);
    lastExportId = await newJob();
    const exported = await runChild(bundled.file, ['export', TENANT, webhook.id, lastExportId], env, args.timeoutMs);
    exports.push(exported);
    if (exported.status !== 'ready' || exported.rows !== args.rows) {
      throw new Error(`export bench: the export ended ${exported.status} with ${exported.rows} of ${args.rows} rows`);
    }
    progress(
      `export: run ${run + 1}/${args.runs}: ${Math.round(exported.rows / (exported.ms / 1000))} rows/s, peak ${exported.peakRssMb.toFixed(0)} MB ` +
        `(raw ${Math.round(rawResult.rows / (rawResult.ms / 1000))} rows/s, ${rawResult.peakRssMb.toFixed(0)} MB)`,
    );
  }
  const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `exports/${TENANT}/${lastExportId}.csv` }));
  return { rows: args.rows, exports, raws, csvBytes: head.ContentLength ?? 0, seedMs };
}

/** Medians of the rates; the highest peak memory seen on each side. */
export function exportSummary(run: ExportRun) {
  const rate = (r: ExportChildResult) => r.rows / (r.ms / 1000);
  const peak = (r: ExportChildResult) => Math.max(r.peakRssMb, r.vmHwmMb ?? 0);
  return {
    rowsPerS: median(run.exports.map(rate)),
    rawRowsPerS: median(run.raws.map(rate)),
    peakMb: Math.max(...run.exports.map(peak)),
    rawPeakMb: Math.max(...run.raws.map(peak)),
    startMb: median(run.exports.map((r) => r.startRssMb)),
  };
}
