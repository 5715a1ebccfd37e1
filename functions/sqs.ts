import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

/** SQS records as the use cases see them (no Lambda types in shared/). */
export function records(event: SQSEvent) {
  return event.Records.map((r) => ({ messageId: r.messageId, body: r.body, receiveCount: Number(r.attributes?.ApproximateReceiveCount ?? '1') }));
}

/** The partial batch response: only these messages go back to the queue. */
export function batchResponse(failedMessageIds: string[]): SQSBatchResponse {
  return { batchItemFailures: failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
}
