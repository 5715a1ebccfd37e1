import * as z from 'zod';

/**
 * A delivery task: what one attempt needs, carried in the SQS message. The attempt number
 * and the due time travel here, not in SQS's receive count, so retries hours apart work.
 */
export const deliveryTaskSchema = z.object({
  v: z.literal(1),
  deliveryId: z.string().regex(/^dlv_/),
  tenantId: z.string().min(1),
  webhookId: z.string().regex(/^wh_/),
  attempt: z.number().int().min(1).max(10),
  /** Epoch ms when this attempt is due; a task received early is re-enqueued with the rest of the wait. */
  dueAt: z.number().int(),
  kind: z.enum(['delivery', 'redelivery', 'recovery']),
  event: z.object({
    id: z.string().min(1),
    type: z.string().min(1),
    occurredAt: z.string(),
    tenantId: z.string().min(1),
    data: z.unknown(),
  }),
});
export type DeliveryTask = z.infer<typeof deliveryTaskSchema>;

/** SQS can delay a message by at most 15 minutes; longer waits are chained. */
export const MAX_SQS_DELAY_SECONDS = 900;

/** Dedupe key of a delivery (STYLE: eventId:webhookId). */
export function dedupeKey(task: Pick<DeliveryTask, 'event' | 'webhookId'>): string {
  return `${task.event.id}:${task.webhookId}`;
}

export interface QueuedTask {
  task: DeliveryTask;
  delaySeconds: number;
}

/** Where tasks go: the delivery queue on AWS and locally alike. */
export interface TaskQueue {
  /** Enqueues tasks; returns the indexes of those that could not be enqueued. */
  send(tasks: QueuedTask[]): Promise<number[]>;
}
