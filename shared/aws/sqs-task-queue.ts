import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueuedTask, TaskQueue } from '../delivery/task';
import { MAX_SQS_DELAY_SECONDS } from '../delivery/task';

/** The delivery queue: batches of 10, sent concurrently; reports what failed by index. */
export class SqsTaskQueue implements TaskQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(tasks: QueuedTask[]): Promise<number[]> {
    const failed: number[] = [];
    const chunks: { offset: number; items: QueuedTask[] }[] = [];
    for (let i = 0; i < tasks.length; i += 10) chunks.push({ offset: i, items: tasks.slice(i, i + 10) });
    await Promise.all(
      chunks.map(async ({ offset, items }) => {
        try {
          const out = await this.sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: items.map((q, i) => ({
                Id: String(i),
                MessageBody: JSON.stringify(q.task),
                DelaySeconds: Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.ceil(q.delaySeconds))),
              })),
            }),
          );
          for (const f of out.Failed ?? []) failed.push(offset + Number(f.Id));
        } catch {
          items.forEach((_, i) => failed.push(offset + i));
        }
      }),
    );
    return failed.sort((a, b) => a - b);
  }
}
