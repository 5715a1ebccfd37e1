/**
 * Handler durations for the cost model: the fanout and deliver handlers (the same module
 * instances the local stack ran, warm) invoked in-process with full batches of 10, as the
 * event source mapping hands them over under sustained load, at LOG_LEVEL=info with the
 * metric lines on, as deployed, so that the CloudWatch Logs bytes per delivery are measured too.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { handler as deliverHandler } from '../../functions/deliver';
import { handler as fanoutHandler } from '../../functions/fanout';
import type { Provisioned } from '../../infra/local/provision';
import { ingestBody, REGION, type OwnClients } from '../fixtures';
import { progress } from '../report';
import type { RequestCounter, Snapshot } from '../request-counter';
import { PIPELINE_TENANT } from './pipeline';

export interface TimedHandler {
  invocations: number;
  records: number;
  ms: number[];
  /** Bytes and lines the handler wrote to stdout (CloudWatch Logs on Lambda). */
  logBytes: number;
  logLines: number;
  snapshot: Snapshot;
}

export interface HandlerTiming {
  fanout: TimedHandler;
  deliver: TimedHandler;
  /** Deliveries made by the timed deliver invocations. */
  deliveries: number;
  events: number;
}

function record(body: string, arn: string, receiveCount = '1', messageId: string = crypto.randomUUID(), receiptHandle = 'bench'): SQSRecord {
  const now = String(Date.now());
  return {
    messageId,
    receiptHandle,
    body,
    attributes: { ApproximateReceiveCount: receiveCount, SentTimestamp: now, SenderId: 'bench', ApproximateFirstReceiveTimestamp: now },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: arn,
    awsRegion: REGION,
  };
}

/** Captures what the handlers print; the bench's own progress goes to stderr. */
function captureStdout() {
  const original = process.stdout.write.bind(process.stdout);
  const captured = { bytes: 0, lines: 0 };
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    captured.bytes += Buffer.byteLength(text);
    captured.lines += text.split('\n').length - 1;
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  return { captured, restore: () => void (process.stdout.write = original) };
}

async function timed(counter: RequestCounter, events: SQSEvent[], handler: (event: SQSEvent) => Promise<{ batchItemFailures: unknown[] }>): Promise<TimedHandler> {
  const env = { level: process.env.LOG_LEVEL, metrics: process.env.WEBHOOKS_METRICS };
  process.env.LOG_LEVEL = 'info';
  delete process.env.WEBHOOKS_METRICS;
  const out = captureStdout();
  const ms: number[] = [];
  counter.start();
  try {
    for (const event of events) {
      const started = performance.now();
      const response = await handler(event);
      ms.push(performance.now() - started);
      if (response.batchItemFailures.length) throw new Error(`handler timing: ${response.batchItemFailures.length} records were handed back`);
    }
  } finally {
    out.restore();
    if (env.level === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = env.level;
    if (env.metrics !== undefined) process.env.WEBHOOKS_METRICS = env.metrics;
  }
  const snapshot = counter.stop();
  return { invocations: events.length, records: events.reduce((sum, e) => sum + e.Records.length, 0), ms, logBytes: out.captured.bytes, logLines: out.captured.lines, snapshot };
}

/**
 * Runs after the stack's pollers have stopped (moto still up), so that nothing else consumes
 * the delivery queue: fanout's tasks stay there for the deliver handler to be fed with.
 */
export async function runHandlerTiming(args: { provisioned: Provisioned; counter: RequestCounter; clients: OwnClients; batches: number; webhooksPerEvent: number }): Promise<HandlerTiming> {
  const { counter, clients } = args;
  const { ingest, delivery } = args.provisioned.queues;

  progress(`handlers: fanout, ${args.batches} batches of 10 events`);
  const ingestEvents: SQSEvent[] = Array.from({ length: args.batches }, (_, b) => ({
    Records: Array.from({ length: 10 }, (_, i) => record(ingestBody(PIPELINE_TENANT, `timed-${Date.now()}-${b}-${i}`), ingest.arn)),
  }));
  const fanout = await timed(counter, ingestEvents, fanoutHandler);

  const expected = args.batches * 10 * args.webhooksPerEvent;
  const batches: Message[][] = [];
  let received = 0;
  for (let empty = 0; received < expected && empty < 5; ) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: delivery.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'], VisibilityTimeout: 300 }),
    );
    if (Messages.length === 0) {
      empty += 1;
      continue;
    }
    batches.push(Messages);
    received += Messages.length;
  }
  if (received < expected) throw new Error(`handler timing: found ${received} of ${expected} delivery tasks on the queue`);

  progress(`handlers: deliver, ${batches.length} batches (${received} deliveries)`);
  const deliverEvents: SQSEvent[] = batches.map((messages) => ({
    Records: messages.map((m) => record(m.Body!, delivery.arn, m.Attributes?.ApproximateReceiveCount ?? '1', m.MessageId, m.ReceiptHandle)),
  }));
  const deliver = await timed(counter, deliverEvents, deliverHandler);
  for (const messages of batches) {
    await clients.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: delivery.url, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
  }
  return { fanout, deliver, deliveries: received, events: args.batches * 10 };
}
