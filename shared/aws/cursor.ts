import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidRequest } from '../errors';

/** Opaque pagination cursors: a DynamoDB key, base64url-encoded, checked on the way back in. */
export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : null;
}

export function decodeCursor(
  cursor: string | undefined,
  check: (key: Record<string, unknown>) => boolean,
): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (key && typeof key === 'object' && !Array.isArray(key) && check(key as Record<string, unknown>)) {
      return key as Record<string, unknown>;
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidRequest('The cursor is not valid for this list.', [
    { path: 'cursor', message: 'Use the nextCursor of a previous page, unchanged.' },
  ]);
}

/**
 * Pages a filtered Query until `limit` matches are found. DynamoDB applies Limit before
 * the filter, so one call can return fewer matches than asked; the cursor is the key of
 * the last match returned, so the next page starts right after it: no repeats, no gaps.
 */
export async function collectPage<T>(
  limit: number,
  start: Record<string, unknown> | undefined,
  query: (
    exclusiveStartKey: Record<string, unknown> | undefined,
    pageLimit: number,
  ) => Promise<{ items: T[]; lastKey: Record<string, unknown> | undefined }>,
  keyOf: (item: T) => Record<string, unknown>,
): Promise<{ items: T[]; nextKey: Record<string, unknown> | undefined }> {
  const items: T[] = [];
  let key = start;
  for (;;) {
    const remaining = limit - items.length;
    const page = await query(key, Math.max(remaining, 25));
    for (const item of page.items) {
      if (items.length === limit) return { items, nextKey: keyOf(items[items.length - 1]!) };
      items.push(item);
    }
    key = page.lastKey;
    if (!key) return { items, nextKey: undefined };
    if (items.length === limit) return { items, nextKey: keyOf(items[items.length - 1]!) };
  }
}

/** Every item of one index partition, all pages (small partitions: keys, active webhooks). */
export async function queryIndexPartition(
  db: DynamoDBDocumentClient,
  tableName: string,
  index: { name: string; partitionKey: string },
  value: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const out = await db.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: index.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': index.partitionKey },
        ExpressionAttributeValues: { ':pk': value },
        ExclusiveStartKey,
      }),
    );
    items.push(...(out.Items ?? []));
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}
