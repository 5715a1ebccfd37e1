import {
  ConditionalCheckFailedException,
} from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { Conflict, NotFound } from '../errors';
import { collectPage, decodeCursor, encodeCursor, queryIndexPartition } from '../aws/cursor';
import { GSI1 } from '../resources';
import type { Webhook, WebhookStatus } from './model';

const pk = (tenantId: string) => `TENANT#${tenantId}`;
const sk = (id: string) => `WH#${id}`;
const activePk = (tenantId: string) => `ACTIVE#${tenantId}`;

type Item = Webhook & { pk: string; sk: string; gsi1pk?: string; gsi1sk?: string; entity: 'webhook' };

function toItem(webhook: Webhook): Item {
  const item: Item = { ...webhook, pk: pk(webhook.tenantId), sk: sk(webhook.id), entity: 'webhook' };
  // Sparse index: only active webhooks are in gsi1, so fan-out reads exactly what fires.
  if (webhook.status === 'active') {
    item.gsi1pk = activePk(webhook.tenantId);
    item.gsi1sk = sk(webhook.id);
  }
  return item;
}

function fromItem(item: Record<string, unknown>): Webhook {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, entity: _entity, ...webhook } = item;
  const w = webhook as unknown as Webhook;
  return {
    ...w,
    deactivatedReason: w.deactivatedReason ?? null,
    previousSecret: w.previousSecret ?? null,
    previousSecretExpiresAt: w.previousSecretExpiresAt ?? null,
    logsClearedAt: w.logsClearedAt ?? null,
    failingSince: w.failingSince ?? null,
    failedDeliveries: w.failedDeliveries ?? 0,
  };
}

export interface ListOptions {
  status?: WebhookStatus;
  limit: number;
  cursor?: string;
}

/** The only code that knows how webhooks are keyed in the table. */
export class WebhookRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Creates a webhook; a second create of the same id is refused (conditional write). */
  async create(webhook: Webhook): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(webhook),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new Conflict('conflict', 'A webhook with this id exists already.');
      }
      throw error;
    }
  }

  async get(tenantId: string, id: string, consistent = true): Promise<Webhook | null> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: pk(tenantId), sk: sk(id) }, ConsistentRead: consistent }),
    );
    return Item ? fromItem(Item) : null;
  }

  async require(tenantId: string, id: string): Promise<Webhook> {
    const webhook = await this.get(tenantId, id);
    if (!webhook) throw new NotFound('webhook');
    return webhook;
  }

  /**
   * Saves a changed webhook only if nobody changed it since it was read (same version), so
   * two concurrent requests never leave a mixed state: the loser gets a 409.
   *
   * The delivery worker's failure counters change without moving the version, so the write
   * is also conditional on them: if only they changed since the read, the save takes their
   * current values and tries again, rather than putting back the counts it read or failing.
   * One whole-item Put per try keeps each write atomic on moto too, where an UpdateItem is not.
   */
  async save(webhook: Webhook): Promise<Webhook> {
    const conflict = () => new Conflict('conflict', 'The webhook was changed by another request at the same time. Reload it and try again.');
    let counters = { failingSince: webhook.failingSince, failedDeliveries: webhook.failedDeliveries };
    for (let tries = 0; tries < 3; tries++) {
      const next: Webhook = { ...webhook, ...counters, version: webhook.version + 1 };
      const values: Record<string, unknown> = { ':v': webhook.version, ':failed': counters.failedDeliveries };
      let since: string;
      if (counters.failingSince === null) {
        since = '(attribute_not_exists(failingSince) OR attribute_type(failingSince, :nullType))';
        values[':nullType'] = 'NULL';
      } else {
        since = 'failingSince = :since';
        values[':since'] = counters.failingSince;
      }
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: toItem(next),
            ConditionExpression: `attribute_exists(pk) AND version = :v AND (failedDeliveries = :failed OR attribute_not_exists(failedDeliveries)) AND ${since}`,
            ExpressionAttributeValues: values,
          }),
        );
        return next;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const current = await this.get(webhook.tenantId, webhook.id);
        if (!current || current.version !== webhook.version) throw conflict();
        counters = { failingSince: current.failingSince, failedDeliveries: current.failedDeliveries };
      }
    }
    throw conflict();
  }

  /** Newest first; `status` absent lists all but archived (the Archived section is separate). */
  async list(tenantId: string, options: ListOptions): Promise<{ items: Webhook[]; nextCursor: string | null }> {
    const start = decodeCursor(options.cursor, (key) => key.pk === pk(tenantId) && typeof key.sk === 'string' && key.sk.startsWith('WH#'));
    const filter = options.status
      ? { FilterExpression: '#status = :status', ExpressionAttributeValues: { ':status': options.status } }
      : { FilterExpression: '#status <> :archived', ExpressionAttributeValues: { ':archived': 'archived' } };
    const page = await collectPage(
      options.limit,
      start,
      async (ExclusiveStartKey, Limit) => {
        const out = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :wh)',
            FilterExpression: filter.FilterExpression,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':pk': pk(tenantId), ':wh': 'WH#', ...filter.ExpressionAttributeValues },
            ScanIndexForward: false,
            ExclusiveStartKey,
            Limit,
          }),
        );
        return { items: (out.Items ?? []).map(fromItem), lastKey: out.LastEvaluatedKey };
      },
      (w) => ({ pk: pk(w.tenantId), sk: sk(w.id) }),
    );
    return { items: page.items, nextCursor: encodeCursor(page.nextKey) };
  }

  /** Every active webhook of a tenant (the sparse index), for fan-out. */
  async listActive(tenantId: string): Promise<Webhook[]> {
    return (await queryIndexPartition(this.db, this.tableName, GSI1, activePk(tenantId))).map(fromItem);
  }


  /**
   * Counts a delivery that exhausted its retries. Returns the updated webhook so the caller
   * can decide whether the sustained-failure rule now deactivates it. The counters are the
   * worker's bookkeeping, not an edit: `version` is left alone, so a failing webhook's stream
   * of failures does not make an admin's concurrent edit fail with 409.
   */
  async recordTerminalFailure(tenantId: string, id: string, at: string): Promise<Webhook | null> {
    const update = async (UpdateExpression: string, ConditionExpression: string, values: Record<string, unknown>) => {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(tenantId), sk: sk(id) },
          UpdateExpression,
          ConditionExpression,
          ExpressionAttributeValues: { ':s': 'S', ':one': 1, ...values },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? fromItem(out.Attributes) : null;
    };
    // A webhook is created with failingSince stored as NULL, which if_not_exists() takes for a
    // value: so the streak's start is a condition on the attribute's type, in two steps.
    for (let round = 0; round < 3; round++) {
      try {
        // In a streak already (the common case while failing): one more.
        return await update('ADD failedDeliveries :one', 'attribute_type(failingSince, :s)', {});
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      try {
        // The first failure since the last success starts the streak.
        return await update('SET failingSince = :at, failedDeliveries = :one', 'attribute_exists(pk) AND NOT attribute_type(failingSince, :s)', { ':at': at });
      } catch (error) {
        // Another worker started the streak in between (count on it), or the webhook is gone.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    return null;
  }

  /** A success ends a failing streak. Only written when there is a streak to end. */
  async recordSuccess(tenantId: string, id: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(tenantId), sk: sk(id) },
          UpdateExpression: 'REMOVE failingSince SET failedDeliveries = :zero',
          ConditionExpression: 'attribute_type(failingSince, :s)',
          ExpressionAttributeValues: { ':zero': 0, ':s': 'S' },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * The service stops a webhook that has failed for a sustained period (`deactivatedReason:
   * failing`). The streak ends with it, so that a reactivated webhook starts afresh instead of
   * being stopped again by its first failure. A status change, so `version` moves: an admin's
   * edit based on the active webhook gets a 409 rather than reactivating it unseen.
   */
  async deactivateFailing(tenantId: string, id: string, at: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(tenantId), sk: sk(id) },
          UpdateExpression:
            'SET #status = :inactive, deactivatedReason = :failing, updatedAt = :at, failedDeliveries = :zero REMOVE gsi1pk, gsi1sk, failingSince ADD version :one',
          ConditionExpression: '#status = :active',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inactive': 'inactive', ':active': 'active', ':failing': 'failing', ':at': at, ':zero': 0, ':one': 1 },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
