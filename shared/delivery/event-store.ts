import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** An accepted event, kept for idempotency and for redelivery (the envelope minus webhookId). */
export interface StoredEvent {
  id: string;
  type: string;
  occurredAt: string;
  tenantId: string;
  data: unknown;
  /** The EventBridge event id that brought it: tells a redelivered message from a re-publish. */
  sourceEventId: string;
}

const key = (tenantId: string, eventId: string) => ({ pk: `EVENT#${tenantId}#${eventId}`, sk: 'EVENT' });

export type Admission = 'new' | 'duplicate' | 'resumed';

export class EventStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  /**
   * Records the event once (conditional write). A second publish of the same
   * `(tenantId, id)` is a duplicate. The same EventBridge event handed over again by SQS
   * after a failed fan-out (receiveCount > 1) is resumed, so a crash between this write and
   * the enqueue cannot lose the event.
   */
  async admit(event: StoredEvent, receiveCount: number, now: number): Promise<Admission> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key(event.tenantId, event.id), entity: 'event', ...event, ttl: Math.floor(now / 1000) + this.retentionDays * 86_400 },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'new';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const old = error.Item as { sourceEventId?: { S?: string } } | undefined;
        const sameSource = old?.sourceEventId?.S === event.sourceEventId;
        return sameSource && receiveCount > 1 ? 'resumed' : 'duplicate';
      }
      throw error;
    }
  }

  async get(tenantId: string, eventId: string): Promise<StoredEvent | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key(tenantId, eventId) }));
    if (!Item) return null;
    const { id, type, occurredAt, data, sourceEventId } = Item as StoredEvent;
    return { id, type, occurredAt, tenantId, data, sourceEventId };
  }
}
