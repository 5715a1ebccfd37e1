import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { collectPage, decodeCursor, encodeCursor } from '../aws/cursor';
import { ulidBounds } from '../ids';
import type { LogFilters, StoredAttempt } from './model';

const pk = (tenantId: string, webhookId: string) => `LOG#${tenantId}#${webhookId}`;

export interface LogQuery extends LogFilters {
  limit: number;
  cursor?: string;
  /** Records up to this time were cleared: they are hidden at once and purged later. */
  clearedAt?: string | null;
  /** For TTL filtering: DynamoDB deletes expired items late, so reads skip them too. */
  now: number;
}

function keyRange(query: LogQuery): { from: string; to: string } {
  let fromMs = query.since ? Date.parse(query.since) : 0;
  if (query.clearedAt) fromMs = Math.max(fromMs, Date.parse(query.clearedAt) + 1);
  const toMs = query.until ? Date.parse(query.until) - 1 : Date.parse('9999-12-31T00:00:00Z');
  return { from: `att_${ulidBounds(fromMs).min}`, to: `att_${ulidBounds(Math.max(toMs, 0)).max}` };
}

/**
 * Attempt records. Key: one partition per webhook, sort key the attempt id (att_ + ULID of
 * the attempt's start), so newest-first is a reverse Query and a time range is a key range.
 */
export class LogRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  private item(record: StoredAttempt) {
    const attemptedMs = Date.parse(record.attemptedAt);
    return {
      ...record,
      pk: pk(record.tenantId, record.webhookId),
      sk: record.id,
      entity: 'attempt',
      ttl: Math.floor(attemptedMs / 1000) + this.retentionDays * 86_400,
    };
  }

  /**
   * Writes records in as few requests as possible (25 per BatchWrite). Keys are the attempt
   * ids, so writing the same record twice overwrites it rather than adding a duplicate.
   */
  async writeAll(records: StoredAttempt[]): Promise<void> {
    for (let i = 0; i < records.length; i += 25) {
      let requests = records.slice(i, i + 25).map((r) => ({ PutRequest: { Item: this.item(r) } }));
      for (let round = 0; requests.length > 0; round++) {
        if (round === 5) throw new Error(`Log write left ${requests.length} items unprocessed.`);
        if (round > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** round));
        const out = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (out.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    }
  }

  async list(tenantId: string, webhookId: string, query: LogQuery): Promise<{ items: StoredAttempt[]; nextCursor: string | null }> {
    const partition = pk(tenantId, webhookId);
    const start = decodeCursor(query.cursor, (key) => key.pk === partition && typeof key.sk === 'string');
    const { from, to } = keyRange(query);
    const filters: string[] = ['#ttl > :now'];
    const values: Record<string, unknown> = { ':pk': partition, ':from': from, ':to': to, ':now': Math.floor(query.now / 1000) };
    const names: Record<string, string> = { '#ttl': 'ttl' };
    if (query.outcome) {
      filters.push('outcome = :outcome');
      values[':outcome'] = query.outcome;
    }
    if (query.eventType) {
      filters.push('eventType = :eventType');
      values[':eventType'] = query.eventType;
    }
    const page = await collectPage(
      query.limit,
      start,
      async (ExclusiveStartKey, Limit) => {
        const out = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            FilterExpression: filters.join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ScanIndexForward: false,
            ExclusiveStartKey,
            Limit,
          }),
        );
        return { items: (out.Items ?? []).map(strip), lastKey: out.LastEvaluatedKey };
      },
      (r) => ({ pk: partition, sk: r.id }),
    );
    return { items: page.items, nextCursor: encodeCursor(page.nextKey) };
  }

  /** Iterates every visible record matching the filters, newest first, page by page. */
  async *iterate(tenantId: string, webhookId: string, query: Omit<LogQuery, 'limit' | 'cursor'>, pageSize = 500): AsyncGenerator<StoredAttempt[]> {
    let cursor: string | undefined;
    do {
      const page = await this.list(tenantId, webhookId, { ...query, limit: pageSize, cursor });
      if (page.items.length) yield page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /**
   * Finds the record of a given delivery attempt, if one was written. Used only when SQS
   * hands a task over again, so that a POST that already happened and was logged is not repeated.
   */
  async findAttempt(tenantId: string, webhookId: string, deliveryId: string, attempt: number, notBefore: number): Promise<StoredAttempt | null> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk >= :from',
          FilterExpression: 'deliveryId = :d AND attempt = :a',
          ExpressionAttributeValues: { ':pk': pk(tenantId, webhookId), ':from': `att_${ulidBounds(notBefore).min}`, ':d': deliveryId, ':a': attempt },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      const found = out.Items?.[0];
      if (found) return strip(found);
      ExclusiveStartKey = out.LastEvaluatedKey;
      if (!ExclusiveStartKey) return null;
    }
    return null;
  }

  /** Deletes records up to a time (after a clear), in the background. Returns how many. */
  async purge(tenantId: string, webhookId: string, upTo: string): Promise<number> {
    const partition = pk(tenantId, webhookId);
    let deleted = 0;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk <= :to',
          ExpressionAttributeValues: { ':pk': partition, ':to': `att_${ulidBounds(Date.parse(upTo)).max}` },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey,
        }),
      );
      const keys = out.Items ?? [];
      for (let i = 0; i < keys.length; i += 25) {
        let requests = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
        for (let round = 0; requests.length > 0 && round < 6; round++) {
          const res = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
          requests = (res.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        }
      }
      deleted += keys.length;
      ExclusiveStartKey = out.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return deleted;
  }
}

function strip(item: Record<string, unknown>): StoredAttempt {
  const { pk: _p, sk: _s, entity: _e, ttl: _ttl, ...record } = item;
  return record as unknown as StoredAttempt;
}
