import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueuedTask, TaskQueue } from '../delivery/task';
import { MAX_SQS_DELAY_SECONDS } from '../delivery/task';

/** SendMessageBatch takes at most 10 entries. */
const MAX_ENTRIES = 10;
/**
 * Bytes of message bodies per SendMessageBatch. SQS caps a batch's total payload (256 KiB,
 * 1 MiB on newer accounts); the lower figure, with room for the request's own overhead,
 * works everywhere. One event's task may be ~200 KiB, so a fan-out of large events sends
 * one message per request rather than failing the whole batch of ten.
 */
const MAX_BATCH_BYTES = 250 * 1024;

interface Chunk {
  indexes: number[];
  bodies: string[];
}

/** Groups tasks into requests of at most 10 entries and MAX_BATCH_BYTES, in order. */
function chunksOf(tasks: QueuedTask[]): Chunk[] {
  const chunks: Chunk[] = [];
  let current: Chunk = { indexes: [], bodies: [] };
  let bytes = 0;
  tasks.forEach((q, index) => {
    const body = JSON.stringify(q.task);
    const size = Buffer.byteLength(body);
    if (current.indexes.length === MAX_ENTRIES || (current.indexes.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      chunks.push(current);
      current = { indexes: [], bodies: [] };
      bytes = 0;
    }
    current.indexes.push(index);
    current.bodies.push(body);
    bytes += size;
  });
  if (current.indexes.length) chunks.push(current);
  return chunks;
}

/**
 * The delivery queue: batches of up to 10 within SQS's payload limit, sent concurrently;
 * reports what failed by index so the caller can hand exactly those messages back.
 */
export class SqsTaskQueue implements TaskQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(tasks: QueuedTask[]): Promise<number[]> {
    const failed: number[] = [];
    await Promise.all(
      chunksOf(tasks).map(async ({ indexes, bodies }) => {
        try {
          const out = await this.sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: indexes.map((index, i) => ({
                Id: String(i),
                MessageBody: bodies[i],
                DelaySeconds: Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.ceil(tasks[index]!.delaySeconds))),
              })),
            }),
          );
          for (const f of out.Failed ?? []) {
            const index = indexes[Number(f.Id)];
            if (index !== undefined) failed.push(index);
          }
        } catch {
          failed.push(...indexes);
        }
      }),
    );
    return failed.sort((a, b) => a - b);
  }
}
