// The DynamoDB rules moto does not enforce (it accepts a reversed BETWEEN, a start key
// outside the key condition, extra start-key attributes), checked at the SDK edge.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidRequest } from '../../shared/errors';
import { ulidAt, ulidBounds } from '../../shared/ids';
import type { StoredAttempt } from '../../shared/logs/model';
import { LogRepository } from '../../shared/logs/repository';

const TABLE = 'webhooks';
const PK = 'LOG#acme#wh_01JF0000000000000000000000';
const NOW = Date.parse('2026-12-04T12:00:00.000Z');
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
const ddb = mockClient(db);
const repo = new LogRepository(db, TABLE, 30);

function attempt(ms: number, overrides: Partial<StoredAttempt> = {}): StoredAttempt {
  return {
    id: `att_${ulidAt(ms)}`,
    tenantId: 'acme',
    webhookId: 'wh_01JF0000000000000000000000',
    eventId: 'evt_01JF0000000000000000000000',
    eventType: 'badge.awarded',
    attempt: 1,
    attemptedAt: new Date(ms).toISOString(),
    url: 'https://hooks.example.com',
    outcome: 'succeeded',
    statusCode: 200,
    durationMs: 5,
    error: null,
    nextAttemptAt: null,
    responseExcerpt: 'ok',
    kind: 'delivery',
    deliveryId: null,
    terminal: false,
    ...overrides,
  };
}

const cursorOf = (key: Record<string, unknown>) => Buffer.from(JSON.stringify(key)).toString('base64url');
const list = (query: Partial<Parameters<LogRepository['list']>[2]> = {}) =>
  repo.list('acme', 'wh_01JF0000000000000000000000', { limit: 10, now: NOW, ...query });

beforeEach(() => ddb.reset());
afterEach(() => vi.useRealTimers());

describe('LogRepository.list', () => {
  it('is one reverse, strongly consistent Query of the webhook partition, never a Scan', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    await list({ outcome: 'failed', eventType: 'badge.awarded' });
    expect(ddb.commandCalls(ScanCommand)).toHaveLength(0);
    const [call] = ddb.commandCalls(QueryCommand);
    const input = call!.args[0].input;
    expect(input).toMatchObject({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ScanIndexForward: false,
      ConsistentRead: true,
      FilterExpression: '#ttl > :now AND outcome = :outcome AND eventType = :eventType',
    });
    expect(input.ExpressionAttributeValues).toMatchObject({ ':pk': PK, ':now': NOW / 1000, ':outcome': 'failed', ':eventType': 'badge.awarded' });
  });

  it('turns since (inclusive), until (exclusive) and the clear mark into sort-key bounds', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const since = Date.parse('2026-12-01T00:00:00.000Z');
    const until = Date.parse('2026-12-02T00:00:00.000Z');
    await list({ since: new Date(since).toISOString(), until: new Date(until).toISOString() });
    await list({ since: new Date(since).toISOString(), clearedAt: new Date(since + 5000).toISOString() });
    const [a, b] = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input.ExpressionAttributeValues!);
    expect(a).toMatchObject({ ':from': `att_${ulidBounds(since).min}`, ':to': `att_${ulidBounds(until - 1).max}` });
    // The clear mark wins over an older since: records at or before it are hidden.
    expect(b![':from']).toBe(`att_${ulidBounds(since + 5001).min}`);
  });

  it('answers an empty range (until at or before the clear mark) without a query DynamoDB would refuse', async () => {
    ddb.on(QueryCommand).rejects(new Error('BETWEEN bounds reversed'));
    const cleared = '2026-12-03T00:00:00.000Z';
    await expect(list({ until: '2026-12-02T00:00:00.000Z', clearedAt: cleared })).resolves.toEqual({ items: [], nextCursor: null });
    await expect(list({ until: cleared, clearedAt: cleared })).resolves.toEqual({ items: [], nextCursor: null });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('keeps collecting past filtered-out items until the page is full, and resumes after the last item returned', async () => {
    const items = Array.from({ length: 6 }, (_, i) => attempt(NOW - i * 1000));
    const key = (r: StoredAttempt) => ({ pk: PK, sk: r.id });
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: items.slice(0, 2), LastEvaluatedKey: key(items[3]!) })
      .resolvesOnce({ Items: items.slice(4, 6), LastEvaluatedKey: key(items[5]!) });
    const page = await list({ limit: 3 });
    expect(page.items.map((r) => r.id)).toEqual([items[0]!.id, items[1]!.id, items[4]!.id]);
    expect(JSON.parse(Buffer.from(page.nextCursor!, 'base64url').toString())).toEqual(key(items[4]!));
    const second = ddb.commandCalls(QueryCommand)[1]!.args[0].input;
    expect(second.ExclusiveStartKey).toEqual(key(items[3]!));
  });

  it('strips the storage attributes from what it returns', async () => {
    const r = attempt(NOW - 1000);
    ddb.on(QueryCommand).resolves({ Items: [{ ...r, pk: PK, sk: r.id, entity: 'attempt', ttl: 1 }] });
    const page = await list();
    expect(page.items).toEqual([r]);
    expect(page.nextCursor).toBeNull();
  });

  describe('cursors', () => {
    const valid = { pk: PK, sk: `att_${ulidAt(NOW - 60_000)}` };

    it('refuses a cursor that is not one of its own with 422 and a cursor detail', async () => {
      ddb.on(QueryCommand).resolves({ Items: [] });
      const bad = [
        'not base64 json!',
        cursorOf({ pk: 'LOG#globex#wh_01JF0000000000000000000000', sk: valid.sk }),
        cursorOf({ pk: 'TENANT#acme', sk: 'WH#wh_01JF0000000000000000000000' }),
        cursorOf({ ...valid, extra: 1 }),
        cursorOf({ pk: PK, sk: 5 }),
        cursorOf({ pk: PK, sk: 'att_zzz' }),
        Buffer.from(JSON.stringify([valid])).toString('base64url'),
      ];
      for (const cursor of bad) {
        const error = await list({ cursor }).catch((e: unknown) => e);
        expect(error, cursor).toBeInstanceOf(InvalidRequest);
        expect((error as InvalidRequest).details?.[0]?.path).toBe('cursor');
      }
      expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
    });

    it('passes its own cursor on as the start key', async () => {
      ddb.on(QueryCommand).resolves({ Items: [] });
      await list({ cursor: cursorOf(valid) });
      expect(ddb.commandCalls(QueryCommand)[0]!.args[0].input.ExclusiveStartKey).toEqual(valid);
    });

    it('answers an empty last page when the list was cleared past the cursor since the previous page', async () => {
      ddb.on(QueryCommand).rejects(new Error('The provided starting key is outside query boundaries'));
      const page = await list({ cursor: cursorOf(valid), clearedAt: new Date(NOW - 1000).toISOString() });
      expect(page).toEqual({ items: [], nextCursor: null });
    });

    it('refuses a cursor from a list with an earlier until instead of sending DynamoDB a start key outside the range', async () => {
      ddb.on(QueryCommand).rejects(new Error('The provided starting key is outside query boundaries'));
      const error = await list({ cursor: cursorOf(valid), until: new Date(NOW - 3_600_000).toISOString() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidRequest);
    });
  });
});

describe('LogRepository writes', () => {
  it('writes 25 items per BatchWrite, keyed by webhook and attempt id, with a TTL of attemptedAt + retention', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    const records = Array.from({ length: 60 }, (_, i) => attempt(NOW - i));
    await repo.writeAll(records);
    const calls = ddb.commandCalls(BatchWriteCommand);
    expect(calls.map((c) => c.args[0].input.RequestItems![TABLE]!.length)).toEqual([25, 25, 10]);
    const item = calls[0]!.args[0].input.RequestItems![TABLE]![0]!.PutRequest!.Item!;
    expect(item).toMatchObject({ pk: PK, sk: records[0]!.id, entity: 'attempt', ttl: NOW / 1000 + 30 * 86_400 });
  });

  it('re-sends unprocessed items, and fails rather than drop them when DynamoDB keeps refusing', async () => {
    vi.useFakeTimers();
    const records = [attempt(NOW), attempt(NOW - 1)];
    const leftover = { [TABLE]: [{ PutRequest: { Item: { pk: PK, sk: records[1]!.id } } }] };
    ddb.on(BatchWriteCommand).resolvesOnce({ UnprocessedItems: leftover }).resolves({});
    const ok = repo.writeAll(records);
    await vi.runAllTimersAsync();
    await ok;
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(2);
    expect(ddb.commandCalls(BatchWriteCommand)[1]!.args[0].input.RequestItems).toEqual(leftover);

    ddb.reset();
    ddb.on(BatchWriteCommand).resolves({ UnprocessedItems: leftover });
    const failing = repo.writeAll(records).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await failing).toBeInstanceOf(Error);
  });

  it('purges only up to the clear mark, and fails (so SQS hands the job over again) when deletes stay unprocessed', async () => {
    vi.useFakeTimers();
    const upTo = '2026-12-04T11:00:00.000Z';
    const keys = Array.from({ length: 30 }, (_, i) => ({ pk: PK, sk: `att_${ulidAt(Date.parse(upTo) - i)}` }));
    ddb.on(QueryCommand).resolves({ Items: keys });
    ddb.on(BatchWriteCommand).resolves({});
    const done = repo.purge('acme', 'wh_01JF0000000000000000000000', upTo);
    await vi.runAllTimersAsync();
    expect(await done).toBe(30);
    const query = ddb.commandCalls(QueryCommand)[0]!.args[0].input;
    expect(query).toMatchObject({ KeyConditionExpression: 'pk = :pk AND sk <= :to', ExpressionAttributeValues: { ':pk': PK, ':to': `att_${ulidBounds(Date.parse(upTo)).max}` } });
    const deleted = ddb.commandCalls(BatchWriteCommand).flatMap((c) => c.args[0].input.RequestItems![TABLE]!.map((r) => r.DeleteRequest!.Key));
    expect(deleted).toEqual(keys);

    ddb.on(BatchWriteCommand).resolves({ UnprocessedItems: { [TABLE]: [{ DeleteRequest: { Key: keys[0]! } }] } });
    const failing = repo.purge('acme', 'wh_01JF0000000000000000000000', upTo).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await failing).toBeInstanceOf(Error);
  });
});
