/**
 * The benchmark harness: starts moto and a fast receiver on loopback, runs each scenario after
 * its warm-up, and turns the measurements into results, each against a floor measured in
 * the same run. `runBench` is what `npm run bench` and the smoke test call.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { findMoto, startMoto, type MotoServer } from '../infra/local/moto';
import type { Provisioned } from '../infra/local/provision';
import { startLocalStack, type LocalStack } from '../infra/local/stack';
import { queues as queueDefinitions } from '../infra/resources';
import { WebhookRepository } from '../shared/webhooks/repository';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { eventIdFor } from '../shared/ids';
import { costPerMillion, describeCost, describePrices, functionMemory, LAMBDA_PLATFORM_LOG_BYTES, type PerDelivery } from './cost';
import { activeWebhook, ownClients, sleep, type OwnClients } from './fixtures';
import { startFastReceiver, type FastReceiver } from './receiver';
import { formatTable, median, percentile, progress, result, type BenchResult } from './report';
import { describeLatencies, describeOps, isService, itemSize, RequestCounter, totals, type Snapshot } from './request-counter';
import { runApi, type ApiRun } from './scenarios/api';
import { runBundles, type BundlesRun } from './scenarios/bundles';
import { exportSummary, runExportBench, type ExportRun } from './scenarios/export';
import { fanoutMedians, runFanout, type FanoutRun } from './scenarios/fanout';
import { runHandlerTiming, type HandlerTiming } from './scenarios/handlers';
import { PIPELINE_TENANT, runFloor, runPipeline, seedPipelineWebhooks, type FloorRun, type PipelineRun } from './scenarios/pipeline';
import { SIZES, type Mode, type Sizes } from './sizes';

export const SCENARIOS = ['bundles', 'pipeline', 'fanout', 'api', 'cost', 'export'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface BenchOptions {
  mode: Mode;
  /** Overrides of the mode's sizes (`--size exportRows=20000`). */
  sizes?: Partial<Sizes>;
  /** Where results.json goes. */
  out: string;
  /** Run only these scenarios (cost also runs the pipeline it is computed from). */
  only?: Scenario[];
}

export interface MachineInfo {
  nproc: number;
  cpu: string;
  memoryGb: number;
  node: string;
  moto: string;
  loadAverage: string;
}

/**
 * Local pollers per queue. The delivery pollers equal the floor's workers, so that the
 * pipeline and its floor have the same delivery concurrency (and the same two cores); the
 * ingest pollers come on top, as fan-out is work the floor does not do.
 */
const POLLERS = { ingest: 2, delivery: 4, export: 1 } as const;
const API_KEY = 'bench-api-key-0123456789';

/** What the run ran on, for the table's header and BENCHMARKS.md. */
export async function machineInfo(): Promise<MachineInfo> {
  const moto = await new Promise<string>((resolve) => {
    execFile('python3', ['-c', 'import moto; print(moto.__version__)'], { timeout: 20_000 }, (error, stdout) => resolve(error ? 'unknown' : stdout.trim()));
  });
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    moto,
    loadAverage: loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

interface Measured {
  floor?: FloorRun;
  pipeline?: PipelineRun;
  /** The same run with events put straight onto the ingest queue (no moto EventBridge). */
  fromIngest?: PipelineRun;
  eventItemBytes?: number;
  fanout?: FanoutRun;
  api?: ApiRun;
  timing?: HandlerTiming;
  exported?: ExportRun;
  bundles?: BundlesRun;
  memory?: Awaited<ReturnType<typeof functionMemory>>;
  errors: Partial<Record<Scenario, string>>;
  /** Requests whose billing units the counter could not work out (0 unless the SDK's shapes change). */
  accountingErrors?: string;
}

/** Runs the scenarios, writes results.json and returns the results (and any scenario errors). */
export async function runBench(options: BenchOptions): Promise<{ results: BenchResult[]; errors: Partial<Record<Scenario, string>>; machine: MachineInfo }> {
  const sizes: Sizes = { ...SIZES[options.mode], ...options.sizes };
  const wanted = new Set<Scenario>(options.only?.length ? options.only : SCENARIOS);
  if (wanted.has('cost')) wanted.add('pipeline');
  const machine = await machineInfo();
  progress(`mode ${options.mode}; ${machine.nproc} cores, ${machine.memoryGb} GB, node ${machine.node}, moto ${machine.moto}, load ${machine.loadAverage}`);

  // The handlers log every delivery at info and write a metric line per attempt: keep stdout quiet.
  const savedEnv = { LOG_LEVEL: process.env.LOG_LEVEL, WEBHOOKS_METRICS: process.env.WEBHOOKS_METRICS };
  process.env.LOG_LEVEL = 'warn';
  process.env.WEBHOOKS_METRICS = 'off';

  const counter = new RequestCounter();
  counter.install();
  const dir = await mkdtemp(join(tmpdir(), 'lms-bench-'));
  const measured: Measured = { errors: {} };
  let moto: MotoServer | undefined;
  let receiver: FastReceiver | undefined;
  let clients: OwnClients | undefined;
  let stack: LocalStack | undefined;

  const attempt = async (scenario: Scenario, work: () => Promise<void>) => {
    if (!wanted.has(scenario)) return;
    try {
      await work();
    } catch (error) {
      measured.errors[scenario] = error instanceof Error ? error.message : String(error);
      progress(`${scenario} FAILED: ${measured.errors[scenario]}`);
    }
  };

  try {
    // CPU-only work first, while moto is not even running.
    await attempt('bundles', async () => {
      measured.bundles = await runBundles({ dir, initRuns: sizes.initRuns });
    });
    if (wanted.has('cost')) measured.memory = await functionMemory();

    const needsAws = [...wanted].some((s) => s !== 'bundles');
    if (needsAws) {
      if (!(await findMoto())) throw new Error('moto is not installed (pip install "moto[server]")');
      moto = await startMoto({ port: 0 });
      receiver = await startFastReceiver();
      clients = ownClients(moto.endpoint, counter);
      progress(`moto on ${moto.endpoint}, receiver on ${receiver.url}`);
    }

    await attempt('pipeline', async () => {
      // The floor first, on its own resources, before the stack's pollers exist.
      measured.floor = await runFloor({
        endpoint: moto!.endpoint,
        counter,
        clients: clients!,
        receiver: receiver!,
        deliveries: sizes.pipelineEvents * sizes.pipelineWebhooks,
        warmupDeliveries: sizes.pipelineWarmupEvents * sizes.pipelineWebhooks,
        concurrency: POLLERS.delivery,
        timeoutMs: sizes.pipelineTimeoutMs,
      });
    });

    let provisioned: Provisioned | undefined;
    if (['pipeline', 'api', 'cost'].some((s) => wanted.has(s as Scenario))) {
      stack = await startLocalStack({
        port: 0,
        awsPort: 0,
        endpoint: moto!.endpoint,
        apiKey: API_KEY,
        tenantId: PIPELINE_TENANT,
        allowLoopback: true,
        prefix: 'bench-',
        pollers: POLLERS,
        log: (line) => progress(`stack: ${line}`),
      });
      provisioned = stack.provisioned;
      for (const [key, q] of Object.entries(provisioned.queues)) counter.labelQueue(q.url, key);
    }
    let webhooks: Awaited<ReturnType<typeof seedPipelineWebhooks>> = [];
    if (stack) webhooks = await seedPipelineWebhooks(clients!, stack.provisioned.names.table, receiver!, sizes.pipelineWebhooks);

    await attempt('pipeline', async () => {
      if (measured.errors.pipeline) return; // the floor failed: a ratio without it means nothing
      measured.pipeline = await runPipeline({
        stack: stack!,
        clients: clients!,
        counter,
        receiver: receiver!,
        webhooks,
        events: sizes.pipelineEvents,
        warmupEvents: sizes.pipelineWarmupEvents,
        timeoutMs: sizes.pipelineTimeoutMs,
        source: 'eventbridge',
      });
      measured.fromIngest = await runPipeline({
        stack: stack!,
        clients: clients!,
        counter,
        receiver: receiver!,
        webhooks,
        events: sizes.pipelineEvents,
        warmupEvents: 0,
        timeoutMs: sizes.pipelineTimeoutMs,
        source: 'ingest-queue',
      });
      measured.eventItemBytes = await eventItemBytes(clients!, provisioned!.names.table, measured.pipeline.publishPrefix);
    });

    await attempt('fanout', async () => {
      measured.fanout = await runFanout({ endpoint: moto!.endpoint, counter, clients: clients!, webhooks: sizes.fanoutWebhooks, runs: sizes.fanoutRuns });
    });

    await attempt('api', async () => {
      if (!stack) throw new Error('the local stack did not start');
      // A realistic list page: the tenant's webhooks plus inactive ones up to the page size.
      const repo = new WebhookRepository(clients!.doc, stack.provisioned.names.table);
      for (let i = webhooks.length; i < 20; i++) await repo.create(activeWebhook(PIPELINE_TENANT, `https://inactive-${i}.example.com/`, { status: 'inactive', name: `Inactive ${i}` }));
      measured.api = await runApi({ stack, clients: clients!, counter, webhook: webhooks[0]!, requests: sizes.apiRequests, warmup: sizes.apiWarmup, concurrency: sizes.apiConcurrency });
    });

    if (stack) {
      await stack.stop();
      stack = undefined;
      // A stopped poller's long poll lives on in moto for up to its wait time and would take
      // messages sent now out of sight for a visibility timeout: let those polls run out.
      await sleep(2_500);
    }
    await attempt('cost', async () => {
      if (!measured.pipeline) throw new Error('the pipeline run failed, so there is nothing to price');
      // The stack's pollers are stopped; the handlers and their cached clients are still there.
      measured.timing = await runHandlerTiming({
        provisioned: provisioned!,
        counter,
        clients: clients!,
        batches: sizes.timedBatches,
        webhooksPerEvent: sizes.pipelineWebhooks,
      });
    });

    await attempt('export', async () => {
      measured.exported = await runExportBench({ endpoint: moto!.endpoint, clients: clients!, dir, rows: sizes.exportRows, runs: sizes.exportRuns, timeoutMs: sizes.pipelineTimeoutMs * 3 });
    });
  } finally {
    if (counter.accountingErrors) measured.accountingErrors = `${counter.accountingErrors} (last: ${counter.lastAccountingError})`;
    await stack?.stop().catch(() => {});
    clients?.destroy();
    await receiver?.close().catch(() => {});
    await moto?.stop().catch(() => {});
    counter.uninstall();
    await rm(dir, { recursive: true, force: true });
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }

  const results = buildResults(options.mode, sizes, measured);
  await writeFile(options.out, `${JSON.stringify(results, null, 2)}\n`);
  return { results, errors: measured.errors, machine };
}

async function eventItemBytes(clients: OwnClients, table: string, prefix: string): Promise<number> {
  const id = eventIdFor(PIPELINE_TENANT, `${prefix}-0`);
  const out = await clients.doc.send(new GetCommand({ TableName: table, Key: { pk: `EVENT#${PIPELINE_TENANT}#${id}`, sk: 'EVENT' } }));
  return out.Item ? itemSize(out.Item) : 0;
}

// ---- turning measurements into results ------------------------------------------------------

const per = (n: number, d: number) => (d > 0 ? n / d : Number.NaN);
const fixed = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

function missing(name: string, unit: string, why: string): BenchResult {
  return { name, value: Number.NaN, unit, baseline: Number.NaN, ratio: Number.NaN, notes: `not measured: ${why}` };
}

function buildResults(mode: Mode, sizes: Sizes, m: Measured): BenchResult[] {
  const label = mode === 'full' ? 'full run' : `${mode} run (small sizes, noisy)`;
  const out: BenchResult[] = [];
  const failed = (s: Scenario) => m.errors[s] ?? 'scenario not run';

  // Pipeline and its counts.
  const { pipeline, floor } = m;
  const unitsCaveat = m.accountingErrors ? ` Units of ${m.accountingErrors} requests could not be computed.` : '';
  if (pipeline && floor) {
    out.push(
      result(
        'pipeline_throughput',
        pipeline.perSecond,
        'deliveries/s',
        floor.perSecond,
        'higher-is-better',
        `${label}: ${pipeline.events} events x ${sizes.pipelineWebhooks} webhooks = ${pipeline.deliveries} deliveries in ${fixed(pipeline.ms / 1000)} s, PutEvents to log item written; ` +
          `floor: ${floor.deliveries} deliveries by ${POLLERS.delivery} workers (receive 10, POST each, one BatchWriteItem, delete batch) in ${fixed(floor.ms / 1000)} s. ` +
          `Local delivery pollers = floor workers = ${POLLERS.delivery} (fair concurrency; ingest pollers ${POLLERS.ingest} on top: fan-out is work the floor does not do); ` +
          `on AWS the delivery ESM may run ${queueDefinitions.delivery.maxConcurrency} invocations. Extra POSTs (redeliveries): ${pipeline.extraPosts}. ` +
          `Mean moto latency per request, ms: ${describeLatencies(pipeline.snapshot)}. ` +
          `Phases, ms into the run: PutEvents done at ${pipeline.publishedMs.toFixed(0)}; ${phases(pipeline.snapshot)}.`,
      ),
    );
    if (m.fromIngest) {
      const fi = m.fromIngest;
      out.push(
        result(
          'pipeline_throughput_from_ingest',
          fi.perSecond,
          'deliveries/s',
          floor.perSecond,
          'higher-is-better',
          `${label}: the same run with the events put on the ingest queue as the rule's target writes them (SendMessageBatch), so moto's PutEvents ` +
            `(about 0.3 s of its CPU per event, a jsonpath parser rebuilt for the target's default input transformer) neither paces nor starves the system; ` +
            `${fi.deliveries} deliveries in ${fixed(fi.ms / 1000)} s, same floor. Requests per delivery here: DynamoDB ${fixed(per(totals(fi.snapshot, isService('dynamodb')).requests, fi.succeeded))}, ` +
            `SQS ${fixed(per(totals(fi.snapshot, (k) => k.startsWith('sqs.') && !k.endsWith('@export')).requests, fi.succeeded))}. Extra POSTs (redeliveries): ${fi.extraPosts}. ` +
            `Mean moto latency, ms: ${describeLatencies(fi.snapshot)}.`,
        ),
      );
    }
    const ddb = totals(pipeline.snapshot, isService('dynamodb'));
    const floorDdb = totals(floor.snapshot, isService('dynamodb'));
    out.push(
      result(
        'dynamodb_requests_per_delivery',
        per(ddb.requests, pipeline.succeeded),
        'requests',
        per(floorDdb.requests, floor.deliveries),
        'lower-is-better',
        `${label}: ${ddb.requests} requests for ${pipeline.succeeded} successful deliveries (${describeOps(pipeline.snapshot, pipeline.succeeded, 'dynamodb')}); ` +
          `${fixed(per(ddb.wru, pipeline.succeeded))} WRU + ${fixed(per(ddb.rru, pipeline.succeeded))} RRU per delivery; ` +
          `avg attempt item ${Math.round(pipeline.logItemBytes)} B, event item ${Math.round(m.eventItemBytes ?? 0)} B. Floor: one BatchWriteItem per batch. Target <= 1.2.${unitsCaveat}`,
      ),
    );
    // The export queue's poller is idle whatever the deliveries: its receives are not per delivery.
    const perDelivery = (k: string) => k.startsWith('sqs.') && !k.endsWith('@export');
    const sqs = totals(pipeline.snapshot, perDelivery);
    const idleExport = totals(pipeline.snapshot, (k) => k.startsWith('sqs.') && k.endsWith('@export'));
    const sent = totals(pipeline.snapshot, (k) => k.startsWith('sqs.SendMessage'));
    const esm = totals(pipeline.snapshot, (k) => perDelivery(k) && (k.startsWith('sqs.ReceiveMessage') || k.startsWith('sqs.DeleteMessage')));
    const floorSqs = totals(floor.snapshot, isService('sqs'));
    const errors = totals(pipeline.snapshot).errors;
    out.push(
      result(
        'sqs_requests_per_delivery',
        per(sqs.requests, pipeline.succeeded),
        'requests',
        per(floorSqs.requests, floor.deliveries),
        'lower-is-better',
        `${label}: ${sqs.requests} requests (${describeOps(pipeline.snapshot, pipeline.succeeded, 'sqs')} per delivery). ` +
          `Sent by the handlers ${fixed(per(sent.requests, pipeline.succeeded), 3)}/delivery; made by the pollers (Lambda's ESM on AWS, billed too) ${fixed(per(esm.requests, pipeline.succeeded), 3)}/delivery, ` +
          `${esm.empty} of them empty receives; not counted: the idle export poller's ${idleExport.requests} receives, EventBridge's SendMessage to the ingest queue (1 per event). ` +
          `Floor: receive + delete per batch. Target <= 0.5.${errors ? ` ${errors} requests failed and were retried by the SDK.` : ''}`,
      ),
    );
  } else {
    out.push(missing('pipeline_throughput', 'deliveries/s', failed('pipeline')));
    out.push(missing('dynamodb_requests_per_delivery', 'requests', failed('pipeline')));
    out.push(missing('sqs_requests_per_delivery', 'requests', failed('pipeline')));
  }

  // Fan-out.
  if (m.fanout) {
    const { value, baseline } = fanoutMedians(m.fanout);
    // The stack's idle pollers receive during the run too; only the fan-out's own queue counts.
    const own: Snapshot = { ms: m.fanout.snapshot.ms, ops: Object.fromEntries(Object.entries(m.fanout.snapshot.ops).filter(([k]) => k.startsWith('dynamodb.') || k.endsWith('@fanout-sink'))) };
    const ddb = totals(own, isService('dynamodb'));
    const sqs = totals(own, isService('sqs'));
    out.push(
      result(
        'fanout_1000',
        value,
        'ms',
        baseline,
        'lower-is-better',
        `${label}: one event to ${m.fanout.webhooks} active webhooks through fanOut (admit, listActive, plan, SqsTaskQueue), median of ${m.fanout.runsMs.length}; ` +
          `${ddb.requests} DynamoDB (${describeOps(own, 1, 'dynamodb')}) + ${sqs.requests} SQS requests. ` +
          `Phases of the last run, ms from its start: ${phases(own)}. ` +
          `Floor: the same ${m.fanout.webhooks} bodies by SendMessageBatch, all requests in flight at once. Target ratio >= 0.7.`,
      ),
    );
  } else out.push(missing('fanout_1000', 'ms', failed('fanout')));

  // Export.
  if (m.exported) {
    const s = exportSummary(m.exported);
    out.push(
      result(
        'export_rows_per_s',
        s.rowsPerS,
        'rows/s',
        s.rawRowsPerS,
        'higher-is-better',
        `${label}: ${m.exported.rows} records to a ${fixed(m.exported.csvBytes / 1024 ** 2)} MB CSV on S3 by the export function's handler in a child process (the Lambda bundle, plain node), median of ${m.exported.exports.length}; ` +
          `floor: Query paging (500 per page) of the same records in the same kind of child. Target ratio >= 0.5.`,
      ),
    );
    out.push(
      result(
        'export_peak_rss_mb',
        s.peakMb,
        'MB',
        s.rawPeakMb,
        'lower-is-better',
        `${label}: peak RSS of the export child (max of 50 ms samples and VmHWM), ${fixed(s.startMb, 0)} MB after loading the bundle; floor: the raw-paging child. Target < 150 MB.`,
      ),
    );
  } else {
    out.push(missing('export_rows_per_s', 'rows/s', failed('export')));
    out.push(missing('export_peak_rss_mb', 'MB', failed('export')));
  }

  // API.
  if (m.api) {
    const all = [...m.api.getMs, ...m.api.listMs];
    const ddb = totals(m.api.snapshot, isService('dynamodb'));
    const detail =
      `${label}: ${m.api.requests} requests, ${m.api.concurrency} concurrent keep-alive clients, half GET /v1/webhooks/{id}, half GET /v1/webhooks?limit=20 ` +
      `(GET p50 ${fixed(percentile(m.api.getMs, 50))} / p99 ${fixed(percentile(m.api.getMs, 99))} ms, list p50 ${fixed(percentile(m.api.listMs, 50))} / p99 ${fixed(percentile(m.api.listMs, 99))} ms); ` +
      `${fixed(per(ddb.requests, m.api.requests))} DynamoDB requests per call (${describeOps(m.api.snapshot, m.api.requests, 'dynamodb')}). Floor: consistent GetItem of the webhook item, same concurrency.`;
    out.push(result('api_latency_p50_ms', percentile(all, 50), 'ms', percentile(m.api.rawMs, 50), 'lower-is-better', detail));
    out.push(result('api_latency_p99_ms', percentile(all, 99), 'ms', percentile(m.api.rawMs, 99), 'lower-is-better', detail));
    const route = (what: string, floorWhat: string) =>
      `${label}: the ${what} half of the same run; floor: ${floorWhat} in a run with the same mix and concurrency (moto serialises a 20-item page far slower than one item, so the list's own floor is its Query).`;
    out.push(result('api_get_p50_ms', percentile(m.api.getMs, 50), 'ms', percentile(m.api.rawGetMs, 50), 'lower-is-better', route('GET /v1/webhooks/{id}', 'consistent GetItem')));
    out.push(result('api_list_p50_ms', percentile(m.api.listMs, 50), 'ms', percentile(m.api.rawListMs, 50), 'lower-is-better', route('GET /v1/webhooks?limit=20', 'the page\'s Query (Limit 25)')));
  } else {
    out.push(missing('api_latency_p50_ms', 'ms', failed('api')));
    out.push(missing('api_latency_p99_ms', 'ms', failed('api')));
  }

  // Bundles and cold start.
  if (m.bundles) {
    for (const f of m.bundles.functions) {
      out.push(
        result(
          `bundle_kb_${f.name}`,
          f.bundle.bytes / 1024,
          'KB',
          f.floor.bytes / 1024,
          'lower-is-better',
          `esbuild as the construct bundles (ESM, node22, minified, banner ${m.bundles.banner ? 'yes' : 'none'}; from ${m.bundles.bundlingSource}); ` +
            `source map ${fixed(f.bundle.mapBytes / 1024, 0)} KB more in the asset. Floor: a bundle of only ${f.floorWhat}. Target < 1 MB.`,
        ),
      );
      out.push(
        result(
          `init_ms_${f.name}`,
          f.initMs,
          'ms',
          f.floorInitMs,
          'lower-is-better',
          `await import() of the bundle in a fresh node ${process.version} (x86 here, arm64 on Lambda), median of ${sizes.initRuns}, ` +
            `NODE_OPTIONS=--enable-source-maps as deployed (${fixed(f.initMsNoMaps)} ms without); floor: the SDK-only bundle; an empty module imports in ${fixed(m.bundles.emptyImportMs)} ms. Target < 150 ms.`,
        ),
      );
    }
  } else {
    for (const f of ['api', 'authorizer', 'fanout', 'deliver', 'export']) {
      out.push(missing(`bundle_kb_${f}`, 'KB', failed('bundles')));
      out.push(missing(`init_ms_${f}`, 'ms', failed('bundles')));
    }
  }

  // Cost.
  if (pipeline && floor && m.timing && m.memory) out.push(...costResults(label, sizes, pipeline, floor, m.timing, m.memory, m.eventItemBytes ?? 0));
  else out.push(missing('cost_per_million_deliveries_usd', 'USD', failed('cost')));
  return out;
}

const billedMs = (ms: number[]) => ms.reduce((sum, v) => sum + Math.ceil(v), 0);

function costResults(
  label: string,
  sizes: Sizes,
  pipeline: PipelineRun,
  floor: FloorRun,
  timing: HandlerTiming,
  memory: Awaited<ReturnType<typeof functionMemory>>,
  eventBytes: number,
): BenchResult[] {
  const d = timing.deliveries;
  const retentionDays = 30;
  const webhooksPerEvent = sizes.pipelineWebhooks;
  const lambda = {
    lambdaMs: { fanout: billedMs(timing.fanout.ms) / d, deliver: billedMs(timing.deliver.ms) / d },
    invocations: { fanout: timing.fanout.invocations / d, deliver: timing.deliver.invocations / d },
    logBytes: (timing.fanout.logBytes + timing.deliver.logBytes + LAMBDA_PLATFORM_LOG_BYTES * (timing.fanout.invocations + timing.deliver.invocations)) / d,
  };
  const storedBytes = pipeline.logItemBytes + eventBytes / webhooksPerEvent;
  const pDdb = totals(pipeline.snapshot, isService('dynamodb'));
  const pSqs = totals(pipeline.snapshot, (k) => k.startsWith('sqs.') && !k.endsWith('@export'));
  // EventBridge's own SendMessage into the ingest queue is billed to us too: one per event.
  const eventsPerDelivery = per(pipeline.events, pipeline.succeeded);
  const measuredUnits: PerDelivery = {
    ...lambda,
    sqsBilled: per(pSqs.billed, pipeline.succeeded) + eventsPerDelivery,
    wru: per(pDdb.wru, pipeline.succeeded),
    rru: per(pDdb.rru, pipeline.succeeded),
    eventBridgeEvents: eventsPerDelivery,
    storedBytes,
    retentionDays,
  };
  const cost = costPerMillion(measuredUnits, memory.memoryMb);

  // Steady state: full batches everywhere (the handler timing run), the ESM's receive and delete per invocation.
  const tDdb = totals({ ops: { ...prefixed(timing.fanout.snapshot, 'f'), ...prefixed(timing.deliver.snapshot, 'd') }, ms: 0 }, (k) => k.includes('dynamodb.'));
  const tSqs = totals({ ops: { ...prefixed(timing.fanout.snapshot, 'f'), ...prefixed(timing.deliver.snapshot, 'd') }, ms: 0 }, (k) => k.includes('sqs.'));
  const fullUnits: PerDelivery = {
    ...lambda,
    sqsBilled: (tSqs.billed + 2 * (timing.fanout.invocations + timing.deliver.invocations) + timing.events) / d,
    wru: tDdb.wru / d,
    rru: tDdb.rru / d,
    eventBridgeEvents: timing.events / d,
    storedBytes,
    retentionDays,
  };
  const full = costPerMillion(fullUnits, memory.memoryMb);

  // The floor's bill: its requests and units, its per-batch time as deliver Lambda time, its log item kept as long.
  const fDdb = totals(floor.snapshot, isService('dynamodb'));
  const fSqs = totals(floor.snapshot, isService('sqs'));
  const floorBatches = floor.batchMs.length;
  const floorCost = costPerMillion(
    {
      lambdaMs: { deliver: billedMs(floor.batchMs) / floor.deliveries },
      invocations: { deliver: floorBatches / floor.deliveries },
      sqsBilled: fSqs.billed / floor.deliveries,
      wru: fDdb.wru / floor.deliveries,
      rru: fDdb.rru / floor.deliveries,
      eventBridgeEvents: 0,
      logBytes: (LAMBDA_PLATFORM_LOG_BYTES * floorBatches) / floor.deliveries,
      storedBytes: pipeline.logItemBytes,
      retentionDays,
    },
    memory.memoryMb,
  );

  const lambdaNote =
    `Lambda: fanout ${fixed(median(timing.fanout.ms), 1)} ms per batch of 10 events, deliver ${fixed(median(timing.deliver.ms), 1)} ms per batch of 10 (in-process, warm, moto latencies, x86), ` +
    `memory ${memory.memoryMb.fanout}/${memory.memoryMb.deliver} MB from ${memory.source}; logs ${fixed(lambda.logBytes, 0)} B per delivery at LOG_LEVEL=info with metric lines ` +
    `(${fixed((timing.fanout.logLines + timing.deliver.logLines) / d)} handler lines per delivery, +${LAMBDA_PLATFORM_LOG_BYTES} B platform lines per invocation, estimated)`;
  return [
    result(
      'cost_per_million_deliveries_usd',
      cost.total,
      'USD',
      floorCost.total,
      'lower-is-better',
      `${label}: requests and units as counted in the pipeline run, ${webhooksPerEvent} webhooks per event: ${describeCost(cost)}. ${lambdaNote}. ` +
        `WRU ${fixed(measuredUnits.wru)} and RRU ${fixed(measuredUnits.rru)} per delivery from item sizes (1 KB write units, transactions x2); SQS ${fixed(measuredUnits.sqsBilled, 3)} billed per delivery incl. EventBridge's SendMessage per event. ` +
        `Floor: its own requests, units and per-batch time as deliver Lambda time. ${describePrices()}. Not per delivery: API Gateway ($1/1M management calls), idle ESM polling, custom metrics, X-Ray. Target <= $2.`,
    ),
    result(
      'cost_per_million_deliveries_usd_full_batches',
      full.total,
      'USD',
      floorCost.total,
      'lower-is-better',
      `${label}: the same model at sustained load, every batch full (the handler timing run: ${timing.events} events, ${d} deliveries): ${describeCost(full)}.`,
    ),
  ];
}

/** When each operation ran within a window: `PutItem 0-12, Query 12-80, ...`. */
function phases(snapshot: Snapshot): string {
  return Object.entries(snapshot.ops)
    .map(([key, op]) => `${key.replace(/^[a-z0-9]+\./, '').replace(/@.*$/, '')} ${op.firstStartMs.toFixed(0)}-${op.lastEndMs.toFixed(0)}`)
    .join(', ');
}

function prefixed(snapshot: Snapshot, prefix: string): Snapshot['ops'] {
  return Object.fromEntries(Object.entries(snapshot.ops).map(([k, v]) => [`${prefix}:${k}`, v]));
}

export { formatTable };
