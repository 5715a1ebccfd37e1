/**
 * One export (or, with `raw`, the floor: plain Query paging of the same records) in a
 * process of its own, so that its peak memory is the export's and not the bench's. The bench
 * bundles this file with the Lambda functions' esbuild settings and runs it with plain
 * `node`, as Lambda runs the export function; it prints one JSON line with the numbers.
 *
 * argv: <export|raw> <tenantId> <webhookId> <exportId>; the environment is the export
 * function's (TABLE_NAME, EXPORT_BUCKET, WEBHOOKS_AWS_ENDPOINT, ...).
 */
import { functionTimeoutsSeconds } from '../shared/resources';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { handler } from '../functions/export';
import { ExportRepository } from '../shared/logs/exports';
import { documentClient } from '../shared/aws/clients';

const SAMPLE_EVERY_MS = 50;
/** The page size LogRepository.iterate reads with. */
const PAGE = 500;

export interface ExportChildResult {
  mode: 'export' | 'raw';
  rows: number;
  ms: number;
  /** Highest RSS sampled every 50 ms. */
  peakRssMb: number;
  /** The kernel's high-water mark of RSS (VmHWM), which catches peaks between samples. */
  vmHwmMb: number | null;
  /** RSS after the modules loaded, before any work. */
  startRssMb: number;
  status?: string;
}

const mb = (bytes: number) => bytes / (1024 * 1024);

function vmHwmMb(): number | null {
  try {
    const match = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

async function raw(tenantId: string, webhookId: string): Promise<number> {
  const client = new DynamoDBClient({ endpoint: process.env.WEBHOOKS_AWS_ENDPOINT, region: process.env.AWS_REGION, maxAttempts: 3 });
  const doc = DynamoDBDocumentClient.from(client);
  let rows = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(
      new QueryCommand({
        TableName: process.env.TABLE_NAME,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `LOG#${tenantId}#${webhookId}` },
        ScanIndexForward: false,
        Limit: PAGE,
        ExclusiveStartKey,
      }),
    );
    rows += out.Items?.length ?? 0;
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  client.destroy();
  return rows;
}

async function runExportJob(tenantId: string, exportId: string): Promise<{ rows: number; status: string }> {
  const event = {
    Records: [
      {
        messageId: crypto.randomUUID(),
        receiptHandle: 'bench',
        body: JSON.stringify({ type: 'export', tenantId, exportId }),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'bench', ApproximateFirstReceiveTimestamp: String(Date.now()) },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:bench-export',
        awsRegion: 'us-east-1',
      },
    ],
  } satisfies SQSEvent;
  // The deployed function's timeout, as Lambda would give it.
  const response = await handler(event, { getRemainingTimeInMillis: () => functionTimeoutsSeconds.export * 1000 });
  if (response.batchItemFailures.length) throw new Error('the export handler handed the job back');
  const job = await new ExportRepository(documentClient(), process.env.TABLE_NAME!, 30).get(tenantId, exportId);
  return { rows: job?.rowCount ?? 0, status: job?.status ?? 'missing' };
}

async function main(): Promise<void> {
  const [mode, tenantId, webhookId, exportId] = process.argv.slice(2);
  if ((mode !== 'export' && mode !== 'raw') || !tenantId || !webhookId) throw new Error('usage: export-child <export|raw> <tenantId> <webhookId> <exportId>');
  let peak = process.memoryUsage.rss();
  const startRss = peak;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), SAMPLE_EVERY_MS);
  const started = performance.now();
  let rows: number;
  let status: string | undefined;
  if (mode === 'raw') {
    rows = await raw(tenantId, webhookId);
  } else {
    ({ rows, status } = await runExportJob(tenantId, exportId!));
  }
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  const result: ExportChildResult = { mode, rows, ms, peakRssMb: mb(peak), vmHwmMb: vmHwmMb(), startRssMb: mb(startRss), status };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`export-child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
