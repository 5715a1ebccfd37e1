/**
 * Fan-out of one event to 1,000 active webhooks of one tenant, through the real use case
 * (shared/fanout/fanout.ts fanOut with the repositories and the SQS task queue the handler
 * builds), against the floor: the same 1,000 message bodies sent with SendMessageBatch, 10 per
 * request, all requests in flight at once as SqsTaskQueue sends them.
 */
import { PurgeQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { provision } from '../../infra/local/provision';
import { documentClient, sqsClient } from '../../shared/aws/clients';
import { SqsTaskQueue } from '../../shared/aws/sqs-task-queue';
import { EventStore } from '../../shared/delivery/event-store';
import { fanOut, parseIngestMessage, planDeliveries, type FanoutDeps } from '../../shared/fanout/fanout';
import { createLogger } from '../../shared/log';
import { WebhookRepository } from '../../shared/webhooks/repository';
import { activeWebhook, chunk, ingestBody, pooled, REGION, type OwnClients } from '../fixtures';
import { median, progress } from '../report';
import type { RequestCounter, Snapshot } from '../request-counter';

const TENANT = 'bench-fanout';

export interface FanoutRun {
  webhooks: number;
  runsMs: number[];
  baselineRunsMs: number[];
  /** Requests of the last measured fan-out. */
  snapshot: Snapshot;
}

/** Seeds the webhooks, warms up, then alternates floor and fan-out `runs` times. */
export async function runFanout(args: { endpoint: string; counter: RequestCounter; clients: OwnClients; webhooks: number; runs: number }): Promise<FanoutRun> {
  const { counter, clients } = args;
  // Its own table and queue: moto answers a GSI query by scanning the whole table, so other
  // scenarios' items would slow this one down for reasons AWS does not have.
  const provisioned = await provision({ endpoint: args.endpoint, region: REGION }, 'bench-fanout-');
  const table = provisioned.names.table;
  const queueUrl = provisioned.queues.delivery.url;
  counter.labelQueue(queueUrl, 'fanout-sink');

  progress(`fanout: seeding ${args.webhooks} active webhooks`);
  const repo = new WebhookRepository(clients.doc, table);
  const hooks = Array.from({ length: args.webhooks }, (_, i) => activeWebhook(TENANT, `https://receiver-${i}.example.com/hooks`));
  await pooled(hooks, 16, (webhook) => repo.create(webhook));

  // What functions/fanout.ts builds, pointed at this scenario's table and queue.
  const db = documentClient();
  const deps: FanoutDeps = {
    events: new EventStore(db, table, 30),
    webhooks: new WebhookRepository(db, table),
    queue: new SqsTaskQueue(sqsClient(), queueUrl),
    async deadLetter() {
      throw new Error('fanout bench: a valid event was refused');
    },
    log: createLogger('fanout'),
    now: Date.now,
  };

  const once = async (label: string) => {
    const record = { messageId: crypto.randomUUID(), body: ingestBody(TENANT, `${label}-${crypto.randomUUID()}`), receiveCount: 1 };
    const started = performance.now();
    const failed = await fanOut([record], deps);
    const ms = performance.now() - started;
    if (failed.length) throw new Error('fanout bench: the fan-out failed (see the log lines above)');
    return ms;
  };

  // The floor's message bodies: exactly the tasks the planner makes for this event.
  const parsed = parseIngestMessage(ingestBody(TENANT, 'floor'));
  if (!parsed.ok) throw new Error('fanout bench: the sample event does not parse');
  const bodies = planDeliveries(parsed.event, hooks, Date.now()).map((task) => JSON.stringify(task));
  const floor = async () => {
    const started = performance.now();
    await Promise.all(
      chunk(bodies, 10).map((batch) =>
        clients.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((body, i) => ({ Id: String(i), MessageBody: body, DelaySeconds: 0 })) })),
      ),
    );
    return performance.now() - started;
  };
  const purge = () => clients.sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));

  progress('fanout: warm-up');
  await once('warmup');
  await floor();
  await purge();

  const runsMs: number[] = [];
  const baselineRunsMs: number[] = [];
  let snapshot: Snapshot = { ops: {}, ms: 0 };
  for (let run = 0; run < args.runs; run++) {
    // Alternate, so that drift in the machine's load hits both sides alike.
    baselineRunsMs.push(await floor());
    await purge();
    counter.start();
    runsMs.push(await once(`run-${run}`));
    snapshot = counter.stop();
    await purge();
    progress(`fanout: run ${run + 1}/${args.runs}: ${runsMs.at(-1)!.toFixed(0)} ms (floor ${baselineRunsMs.at(-1)!.toFixed(0)} ms)`);
  }
  return { webhooks: args.webhooks, runsMs, baselineRunsMs, snapshot };
}

/** Median fan-out and floor times of a run. */
export const fanoutMedians = (run: FanoutRun) => ({ value: median(run.runsMs), baseline: median(run.baselineRunsMs) });
