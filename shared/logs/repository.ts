import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { collectPage, decodeCursor, encodeCursor } from '../aws/cursor';
import { InvalidRequest } from '../errors';
import { ulidBounds } from '../ids';
import { LOG_ITEM_PK_PREFIX } from '../resources';
import type { LogFilters, StoredAttempt } from './model';

const pk = (tenantId: string, webhookId: string) => `${LOG_ITEM_PK_PREFIX}${tenantId}#${webhookId}`;
const ATTEMPT_SK = /^att_[0-9A-HJKMNP-TV-Z]{26}$/;
const MAX_KEY_TIME = Date.parse('9999-12-31T00:00:00Z');
/** BatchWriteItem takes at most 25 requests. */
const BATCH = 25;
/** Purge deletes run this many BatchWrites at once: fast, yet well under a partition's 1,000 WCU/s. */
const PURGE_PARALLEL = 4;

export interface LogQuery extends LogFilters {
  limit: number;
  cursor?: string;
  /** Records up to this time were cleared: they are hidden at once and purged later. */
  clearedAt?: string | null;
  /** For TTL filtering: DynamoDB deletes expired items late, so reads skip them too. */
  now: number;
}

/**
 * The sort-key range of a query: since (inclusive), until (exclusive) and the clear mark
 * (records at or before it are hidden) become bounds on the attempt ids, whose ULIDs start
 * with the attempt's start time. Null when the range is empty, which DynamoDB refuses as a
 * BETWEEN with its bounds reversed.
 */
function keyRange(query: Pick<LogQuery, 'since' | 'until' | 'clearedAt'>): { from: string; to: string } | null {
  let fromMs = query.since ? Date.parse(query.since) : 0;
  if (query.clearedAt) fromMs = Math.max(fromMs, Date.parse(query.clearedAt) + 1);
  const toMs = query.until ? Date.parse(query.until) - 1 : MAX_KEY_TIME;
  if (toMs < fromMs || toMs < 0) return null;
  return { from: `att_${ulidBounds(fromMs).min}`, to: `att_${ulidBounds(toMs).max}` };
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Attempt records. Key: one partition per webhook (`LOG#<tenant>#<webhookId>`), sort key the
 * attempt id (att_ + ULID of the attempt's start), so newest-first is a reverse Query, a time
 * range is a key range, and nothing ever needs a Scan. docs/logs.md has the throughput figures.
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
   * Sends write or delete requests 25 at a time, re-sending what DynamoDB leaves unprocessed
   * (throttling) with a growing pause, and fails loudly rather than dropping any.
   */
  private async batchWrite(requests: Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH) {
      let pending = requests.slice(i, i + BATCH);
      for (let round = 0; pending.length > 0; round++) {
        if (round === 6) throw new Error(`A batch write to the log left ${pending.length} requests unprocessed.`);
        if (round > 0) await sleep(50 * 2 ** round);
        const out = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
        pending = (out.UnprocessedItems?.[this.tableName] ?? []) as typeof pending;
      }
    }
  }

  /**
   * Writes records in as few requests as possible (25 per BatchWrite). Keys are the attempt
   * ids, so writing the same record twice overwrites it rather than adding a duplicate.
   */
  async writeAll(records: StoredAttempt[]): Promise<void> {
    await this.batchWrite(records.map((r) => ({ PutRequest: { Item: this.item(r) } })));
  }

  /**
   * One page, newest first. The cursor is the key of the last record returned, so the next
   * page starts right after it: no repeats and no gaps, whatever is written meanwhile (new
   * attempts sort above the cursor). Reads are strongly consistent, so a record whose write
   * has completed is never passed over.
   */
  async list(tenantId: string, webhookId: string, query: LogQuery): Promise<{ items: StoredAttempt[]; nextCursor: string | null }> {
    const partition = pk(tenantId, webhookId);
    const start = decodeCursor(
      query.cursor,
      (key) => Object.keys(key).length === 2 && key.pk === partition && typeof key.sk === 'string' && ATTEMPT_SK.test(key.sk),
    );
    const range = keyRange(query);
    if (!range) return { items: [], nextCursor: null };
    const { from, to } = range;
    if (start) {
      const sk = start.sk as string;
      // DynamoDB refuses a start key outside the key condition. Below the range: the list
      // was cleared (or narrowed) since the previous page, so nothing is left to show.
      if (sk <= from) return { items: [], nextCursor: null };
      if (sk > to) {
        throw new InvalidRequest('The cursor belongs to a list with other filters.', [
          { path: 'cursor', message: 'Send the same filters as for the previous page, or drop the cursor.' },
        ]);
      }
    }
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
            ConsistentRead: true,
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

  /**
   * Deletes a webhook's records that started at or before `upTo` (after a clear), in the
   * background. Idempotent: run again after a failure, it deletes what is left. Returns how
   * many it deleted. Records of other webhooks live in other partitions and are never read.
   */
  async purge(tenantId: string, webhookId: string, upTo: string): Promise<number> {
    const partition = pk(tenantId, webhookId);
    const to = `att_${ulidBounds(Date.parse(upTo)).max}`;
    let deleted = 0;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk <= :to',
          ExpressionAttributeValues: { ':pk': partition, ':to': to },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey,
        }),
      );
      const requests = (out.Items ?? []).map((Key) => ({ DeleteRequest: { Key } }));
      const chunk = BATCH * PURGE_PARALLEL;
      for (let i = 0; i < requests.length; i += chunk) {
        const slice = requests.slice(i, i + chunk);
        const groups = Array.from({ length: Math.ceil(slice.length / BATCH) }, (_, g) => slice.slice(g * BATCH, (g + 1) * BATCH));
        await Promise.all(groups.map((group) => this.batchWrite(group)));
      }
      deleted += requests.length;
      ExclusiveStartKey = out.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return deleted;
  }
}

function strip(item: Record<string, unknown>): StoredAttempt {
  const { pk: _p, sk: _s, entity: _e, ttl: _ttl, ...record } = item;
  return record as unknown as StoredAttempt;
}
