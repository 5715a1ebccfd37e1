import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

/** A Lambda handler for SQS events, as the function entry points export it. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler: SqsHandler;
  /** Shows up in the Lambda context and in log lines. */
  functionName: string;
  /** Messages per invocation, at most 10 (the ReceiveMessage limit). Default 10. */
  batchSize?: number;
  /** Long-poll duration of each receive. Default 1 s, so that stop() and idle() stay quick. */
  waitTimeSeconds?: number;
  /** Parallel receive loops, i.e. concurrent invocations. Default 1. */
  concurrency?: number;
  /**
   * Like the function's timeout on Lambda: `context.getRemainingTimeInMillis()` counts down from
   * it, and an invocation that runs longer fails its whole batch. Unset: 900 s, not enforced.
   */
  functionTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface PollerStats {
  /** Invocations of the handler. */
  batches: number;
  received: number;
  deleted: number;
  /** Messages left on the queue for a retry: reported failures plus whole failed batches. */
  failedItems: number;
  /** Invocations that threw, timed out or answered with an invalid batch response. */
  handlerErrors: number;
}

export interface Poller {
  /** Stops receiving, aborts a pending long poll and waits for in-flight batches. Idempotent. */
  stop(): Promise<void>;
  /** Resolves when a full poll cycle found the queue empty and no batch is in flight. */
  idle(): Promise<void>;
  stats(): PollerStats;
}

const RECEIVE_BACKOFF_MS = 500;
const MAX_LAMBDA_TIMEOUT_MS = 900_000;
const DELETE_CHUNK = 10;

/**
 * Polls a queue and invokes `handler` the way Lambda's SQS event source mapping does with
 * `ReportBatchItemFailures`: successes are deleted, reported failures stay on the queue and come
 * back after the visibility timeout (the queue's redrive policy eventually moves them to the DLQ),
 * and a handler error fails the whole batch.
 */
export function startPoller(opts: PollerOptions): Poller {
  const batchSize = Math.min(Math.max(opts.batchSize ?? 10, 1), 10);
  const waitTimeSeconds = opts.waitTimeSeconds ?? 1;
  const concurrency = Math.max(opts.concurrency ?? 1, 1);
  const log = opts.log ?? (() => {});
  const region = arnPart(opts.queueArn, 3) ?? 'us-east-1';
  const accountId = arnPart(opts.queueArn, 4) ?? '123456789012';
  const counters: PollerStats = { batches: 0, received: 0, deleted: 0, failedItems: 0, handlerErrors: 0 };

  let stopped = false;
  let inFlight = 0;
  const stopController = new AbortController();
  // Each idle() call waits for every loop to see an empty receive after it was made.
  const idleWaiters = new Set<{ pending: Set<number>; resolve: () => void }>();

  const settleIdleWaiters = () => {
    for (const waiter of idleWaiters) {
      if (stopped || (waiter.pending.size === 0 && inFlight === 0)) {
        idleWaiters.delete(waiter);
        waiter.resolve();
      }
    }
  };

  const receive = async (): Promise<Message[]> => {
    const response = await opts.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: opts.queueUrl,
        MaxNumberOfMessages: batchSize,
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
        // Still sent because older endpoints (and some moto versions) only know the deprecated name.
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: stopController.signal },
    );
    return response.Messages ?? [];
  };

  const deleteMessages = async (messages: Message[]) => {
    for (let i = 0; i < messages.length; i += DELETE_CHUNK) {
      const chunk = messages.slice(i, i + DELETE_CHUNK);
      try {
        const result = await opts.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: opts.queueUrl,
            Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
        counters.deleted += result.Successful?.length ?? 0;
        for (const failed of result.Failed ?? []) {
          log(`${opts.functionName}: could not delete a message (${failed.Code}: ${failed.Message}); it will be redelivered`);
        }
      } catch (error) {
        // Same outcome as on Lambda: undeleted messages are simply received again.
        log(`${opts.functionName}: DeleteMessageBatch failed, ${chunk.length} message(s) will be redelivered: ${describe(error)}`);
      }
    }
  };

  const invoke = async (messages: Message[]) => {
    counters.batches += 1;
    counters.received += messages.length;
    const event: SQSEvent = { Records: messages.map((m) => toRecord(m, opts.queueArn, region)) };
    const context = createLambdaContext({
      functionName: opts.functionName,
      timeoutMs: opts.functionTimeoutMs ?? MAX_LAMBDA_TIMEOUT_MS,
      region,
      accountId,
    });

    let failedIds: Set<string>;
    try {
      const response = await withTimeout(Promise.resolve(opts.handler(event, context)), opts.functionTimeoutMs);
      failedIds = failuresOf(response, new Set(messages.map((m) => m.MessageId ?? '')));
    } catch (error) {
      counters.handlerErrors += 1;
      counters.failedItems += messages.length;
      log(`${opts.functionName}: invocation ${context.awsRequestId} failed, the whole batch of ${messages.length} will be retried: ${describe(error)}`);
      return;
    }
    counters.failedItems += failedIds.size;
    await deleteMessages(messages.filter((m) => !failedIds.has(m.MessageId ?? '')));
  };

  const loop = async (index: number) => {
    while (!stopped) {
      let messages: Message[];
      try {
        messages = await receive();
      } catch (error) {
        if (stopped) break;
        log(`${opts.functionName}: ReceiveMessage failed, retrying in ${RECEIVE_BACKOFF_MS} ms: ${describe(error)}`);
        await sleep(RECEIVE_BACKOFF_MS, stopController.signal);
        continue;
      }
      if (messages.length === 0) {
        for (const waiter of idleWaiters) waiter.pending.delete(index);
        settleIdleWaiters();
        continue;
      }
      // New work means the queue was not empty after all: every loop has to look again.
      for (const waiter of idleWaiters) waiter.pending = new Set(range(concurrency));
      inFlight += 1;
      try {
        await invoke(messages);
      } finally {
        inFlight -= 1;
        settleIdleWaiters();
      }
    }
  };

  const loops = range(concurrency).map((i) => loop(i));
  let stopping: Promise<void> | undefined;

  return {
    stop() {
      stopping ??= (async () => {
        stopped = true;
        // Aborting a long poll can lose messages moto already handed out; they reappear after
        // their visibility timeout, exactly like a Lambda poller that is scaled down.
        stopController.abort();
        await Promise.allSettled(loops);
        settleIdleWaiters();
      })();
      return stopping;
    },
    idle() {
      if (stopped) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idleWaiters.add({ pending: new Set(range(concurrency)), resolve });
      });
    },
    stats: () => ({ ...counters }),
  };
}

/**
 * The message ids to leave on the queue, by Lambda's rules for `ReportBatchItemFailures`:
 * no response or no/empty `batchItemFailures` is full success; a malformed response or an
 * identifier that is not in the batch fails the whole batch (thrown, so the caller treats it
 * like a handler error).
 */
function failuresOf(response: unknown, batchIds: Set<string>): Set<string> {
  if (response === undefined || response === null) return new Set();
  if (typeof response !== 'object') throw new Error(`invalid batch response: ${JSON.stringify(response)}`);
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) throw new Error('invalid batch response: batchItemFailures is not an array');
  const ids = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !batchIds.has(id)) {
      throw new Error(`invalid batch response: itemIdentifier ${JSON.stringify(id)} is not a message of this batch`);
    }
    ids.add(id);
  }
  return ids;
}

/** Turns a ReceiveMessage result into the record Lambda would deliver. */
function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ...pick(attributes, [
        'AWSTraceHeader',
        'SequenceNumber',
        'MessageGroupId',
        'MessageDeduplicationId',
        'DeadLetterQueueSourceArn',
      ]),
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: toLambdaAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
  if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

/** SDK shape (`StringValue`, bytes) to Lambda's (`stringValue`, base64, always-empty list fields). */
function toLambdaAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const converted: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    converted[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType ?? 'String',
    };
  }
  return converted;
}

export interface LambdaContextOptions {
  functionName: string;
  /** The function's timeout; `getRemainingTimeInMillis()` counts down from it. */
  timeoutMs: number;
  region?: string;
  accountId?: string;
  memoryLimitInMB?: number;
}

/**
 * A Lambda `Context` for invoking a handler locally. Shared by the local pollers and the HTTP
 * adapter so that handlers see the same fields they get on AWS.
 */
export function createLambdaContext(opts: LambdaContextOptions): Context {
  const deadline = Date.now() + opts.timeoutMs;
  const region = opts.region ?? 'us-east-1';
  const accountId = opts.accountId ?? '123456789012';
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is not supported locally; return or throw from the async handler`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: opts.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${opts.functionName}`,
    memoryLimitInMB: String(opts.memoryLimitInMB ?? 1024),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${opts.functionName}`,
    logStreamName: `${day}/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

/** Rejects like Lambda's "Task timed out" if the handler outlives its timeout (it keeps running, unobserved). */
async function withTimeout<T>(promise: Promise<T>, timeoutMs: number | undefined): Promise<T> {
  if (timeoutMs === undefined) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function pick(source: Record<string, string>, keys: string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of keys) {
    const value = source[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

function arnPart(arn: string, index: number): string | undefined {
  const part = arn.split(':')[index];
  return part ? part : undefined;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
