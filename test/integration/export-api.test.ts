import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketLifecycleConfigurationCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { handler as exportHandler } from '../../functions/export';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { documentClient } from '../../shared/aws/clients';
import { newId, ulidAt } from '../../shared/ids';
import { CSV_COLUMNS } from '../../shared/logs/csv';
import { LOGGED_EVENT_TYPES, type StoredAttempt } from '../../shared/logs/model';
import { LogRepository } from '../../shared/logs/repository';
import { TenantRepository } from '../../shared/tenants/repository';
import { apiClient, eventually, type ApiClient } from '../fixtures/api';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CONTRACT_HEADER = 'attempted_at,event_id,event_type,attempt,outcome,status_code,duration_ms,url,error,next_attempt_at,response_excerpt';

/** Response bodies a CSV must survive, and cells a spreadsheet would run as formulas. */
const EXCERPTS = [
  'ok',
  'a,b,c',
  'she said "no"',
  'line one\nline two',
  'windows\r\nline',
  '=HYPERLINK("http://evil.test","click")',
  '+1+2',
  '-3',
  '@SUM(A1)',
  '\tTabbed',
  '\rReturn',
  '{"error":"rate limited","retry":true}',
  '',
];

function attempt(webhookId: string, ms: number, i: number, overrides: Partial<StoredAttempt> = {}): StoredAttempt {
  const failed = i % 3 === 0;
  return {
    id: `att_${ulidAt(ms)}`,
    tenantId: 'local',
    webhookId,
    eventId: newId('event'),
    eventType: LOGGED_EVENT_TYPES[i % LOGGED_EVENT_TYPES.length]!,
    attempt: 1 + (i % 4),
    attemptedAt: new Date(ms).toISOString(),
    // Long URLs make the big export larger than one 5 MiB part, so the multipart path runs.
    url: `https://hooks.example.com/lms?token=${'t'.repeat(1500)}&n=${i}`,
    outcome: failed ? 'failed' : 'succeeded',
    statusCode: failed ? (i % 2 ? 503 : null) : 200,
    durationMs: 10 + (i % 500),
    error: failed ? (i % 2 ? 'HTTP 503' : '-connection refused, retrying') : null,
    nextAttemptAt: failed ? new Date(ms + 60_000).toISOString() : null,
    responseExcerpt: `${EXCERPTS[i % EXCERPTS.length]!}${i % 5 === 0 ? ' '.repeat(8) + 'x'.repeat(900) : ''}`,
    kind: 'delivery',
    deliveryId: null,
    terminal: false,
    ...overrides,
  };
}

/** What the CSV row of a record must read as, once parsed back (neutralised where needed). */
function expectedRow(r: StoredAttempt): Record<string, string> {
  const safe = (v: string) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
  return {
    attempted_at: r.attemptedAt,
    event_id: r.eventId,
    event_type: r.eventType,
    attempt: String(r.attempt),
    outcome: r.outcome,
    status_code: r.statusCode === null ? '' : String(r.statusCode),
    duration_ms: String(r.durationMs),
    url: safe(r.url),
    error: safe(r.error ?? ''),
    next_attempt_at: r.nextAttemptAt ?? '',
    response_excerpt: safe(r.responseExcerpt),
  };
}

const newestFirst = (records: StoredAttempt[]) => [...records].sort((a, b) => (a.id < b.id ? 1 : -1));

describe('CSV exports on the local stack', () => {
  let stack: LocalStack;
  let api: ApiClient;
  let logs: LogRepository;
  let s3: S3Client;
  let bucket: string;

  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, awsPort: 0, apiKey: 'export-key-0123456789', allowLoopback: true });
    api = apiClient(stack.apiUrl, stack.apiKey);
    logs = new LogRepository(documentClient(), stack.provisioned.names.table, 30);
    s3 = new S3Client({ endpoint: stack.endpoint, region: stack.region, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    bucket = stack.provisioned.names.exportBucket;
  });
  afterAll(async () => {
    s3?.destroy();
    await stack?.stop();
  });

  async function webhook(name: string): Promise<string> {
    const res = await api.post('/v1/webhooks', { name, url: 'http://127.0.0.1:9/hooks', eventTypes: ['badge.awarded'] });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  /** Starts an export and waits until it is no longer pending. */
  async function exportOf(id: string, body?: unknown) {
    const started = await api.call('POST', `/v1/webhooks/${id}/logs/export`, body, body === undefined ? {} : { 'content-type': 'application/json' });
    expect(started.status, started.text).toBe(202);
    expect(started.body).toEqual({ id: expect.stringMatching(/^exp_[0-9A-HJKMNP-TV-Z]{26}$/), status: 'pending' });
    return eventually(async () => {
      const res = await api.get(`/v1/exports/${started.body.id}`);
      expect(res.status).toBe(200);
      return res.body.status === 'pending' ? undefined : res.body;
    }, 45_000, 200);
  }

  /** Downloads like curl would: plain GET of the presigned URL, no API key. */
  async function download(url: string) {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return { text: await res.text(), disposition: res.headers.get('content-disposition'), type: res.headers.get('content-type') };
  }

  it('exports 3,000 records as RFC 4180 CSV, newest first, downloadable from a presigned link without an API key', { timeout: 120_000 }, async () => {
    const id = await webhook('Analytics sync');
    const now = Date.now();
    const records = Array.from({ length: 3000 }, (_, i) => attempt(id, now - 5 * DAY + i * 60_000 + (i % 7), i));
    const expired = attempt(id, now - 40 * DAY, 1);
    await logs.writeAll([...records, expired]);

    const done = await exportOf(id);
    expect(done).toMatchObject({ webhookId: id, status: 'ready', rowCount: 3000, error: null });
    expect(Date.parse(done.createdAt)).toBeLessThanOrEqual(Date.now());
    expect(done.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/${bucket}/exports/local/${done.id}\\.csv\\?`));
    expect(done.url.startsWith(`${stack.endpoint}/`)).toBe(true);
    expect(done.url).toContain('X-Amz-Expires=900');
    // Each read presigns afresh, valid for 15 minutes from then.
    const asked = Date.now();
    const again = (await api.get(`/v1/exports/${done.id}`)).body;
    const answered = Date.now();
    expect(Date.parse(again.expiresAt)).toBeGreaterThanOrEqual(asked + 15 * 60_000);
    expect(Date.parse(again.expiresAt)).toBeLessThanOrEqual(answered + 15 * 60_000);

    const file = await download(done.url);
    const date = new Date(Date.parse(done.createdAt)).toISOString().slice(0, 10);
    expect(file.disposition).toBe(`attachment; filename="Analytics-sync-logs-${date}.csv"`);
    expect(file.type).toMatch(/^text\/csv/);
    expect(file.text.startsWith(`${CONTRACT_HEADER}\r\n`)).toBe(true);
    expect(Buffer.byteLength(file.text)).toBeGreaterThan(5 * 1024 * 1024);
    // Quoting as RFC 4180 has it: fields with commas, quotes or line breaks quoted, quotes doubled.
    expect(file.text).toContain(',"she said ""no"""');
    expect(file.text).toContain(',"line one\nline two"');
    expect(file.text).toContain(',"windows\r\nline"');

    const header = parse(file.text, { to_line: 1 }) as string[][];
    expect(header[0]).toEqual([...CSV_COLUMNS]);
    const rows = parse(file.text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(3000);
    expect(rows).toEqual(newestFirst(records).map(expectedRow));
    // Formula cells arrive as text.
    expect(rows.filter((r) => r.response_excerpt!.startsWith("'=HYPERLINK(")).length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.error === "'-connection refused, retrying").length).toBeGreaterThan(0);
    expect(rows.some((r) => /^[=+\-@\t\r]/.test(r.response_excerpt!) || /^[=+\-@\t\r]/.test(r.error!))).toBe(false);

    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `exports/local/${done.id}.csv` }));
    expect(head.ContentDisposition).toBe(`attachment; filename="Analytics-sync-logs-${date}.csv"`);
    // A multipart upload's ETag ends in -<number of parts>.
    expect(head.ETag).toMatch(/-2"$/);
  });

  it('exports only what matches the filters, in a body with the same names as the list', async () => {
    const id = await webhook('Filtered');
    const now = Date.now();
    const records = Array.from({ length: 300 }, (_, i) => attempt(id, now - 3 * DAY + i * 60_000, i));
    await logs.writeAll(records);
    const since = records[50]!.attemptedAt;
    const until = records[250]!.attemptedAt;
    const done = await exportOf(id, { outcome: 'failed', eventType: 'badge.awarded', since, until });
    const expected = newestFirst(records.filter((r) => r.outcome === 'failed' && r.eventType === 'badge.awarded' && r.attemptedAt >= since && r.attemptedAt < until));
    expect(expected.length).toBeGreaterThan(5);
    expect(done).toMatchObject({ status: 'ready', rowCount: expected.length });
    const rows = parse((await download(done.url)).text, { columns: true }) as Record<string, string>[];
    expect(rows).toEqual(expected.map(expectedRow));

    // The listing with the same filters agrees with the file.
    const listed = await api.get(`/v1/webhooks/${id}/logs?${new URLSearchParams({ outcome: 'failed', eventType: 'badge.awarded', since, until, limit: '100' })}`);
    expect(listed.body.items.map((r: { eventId: string }) => r.eventId)).toEqual(rows.map((r) => r.event_id));
  });

  it('writes the header alone for an empty export (no records, or all of them cleared), with rowCount 0', async () => {
    const empty = await webhook('Nothing yet');
    const none = await exportOf(empty, {});
    expect(none).toMatchObject({ status: 'ready', rowCount: 0 });
    expect((await download(none.url)).text).toBe(`${CONTRACT_HEADER}\r\n`);

    const cleared = await webhook('Cleared first');
    await logs.writeAll(Array.from({ length: 40 }, (_, i) => attempt(cleared, Date.now() - HOUR + i, i)));
    expect((await api.del(`/v1/webhooks/${cleared}/logs`)).status).toBe(202);
    const after = await exportOf(cleared);
    expect(after).toMatchObject({ status: 'ready', rowCount: 0 });
    expect((await download(after.url)).text).toBe(`${CONTRACT_HEADER}\r\n`);
  });

  it('refuses invalid export bodies with the error contract', async () => {
    const id = await webhook('Bad bodies');
    const post = (body: string) => api.call('POST', `/v1/webhooks/${id}/logs/export`, body, { 'content-type': 'application/json' });
    const cases: [string, number, string, string?][] = [
      ['{"outcome":"maybe"}', 422, 'invalid_request', 'outcome'],
      ['{"since":"last week"}', 422, 'invalid_request', 'since'],
      ['{"since":"2026-12-05T00:00:00Z","until":"2026-12-04T00:00:00Z"}', 422, 'invalid_request', 'until'],
      ['{"limit":10}', 422, 'invalid_request', 'limit'],
      ['{"outcome":', 400, 'malformed_json'],
    ];
    for (const [body, status, code, path] of cases) {
      const res = await post(body);
      expect(res.status, body).toBe(status);
      expect(res.body.error.code, body).toBe(code);
      if (path) expect(res.body.error.details.map((d: { path: string }) => d.path), body).toContain(path);
    }
    expect((await api.post(`/v1/webhooks/${newId('webhook')}/logs/export`)).status).toBe(404);
    expect((await api.get(`/v1/exports/${newId('export')}`)).status).toBe(404);
    expect((await api.get('/v1/exports/not-an-id')).status).toBe(404);
  });

  it("keeps exports per tenant: another tenant's export id answers 404, and its webhooks cannot be exported", async () => {
    const id = await webhook('Private');
    await logs.writeAll([attempt(id, Date.now() - 1000, 1)]);
    const done = await exportOf(id);
    const { key } = await new TenantRepository(documentClient(), stack.provisioned.names.table).createKey('globex');
    const theirs = apiClient(stack.apiUrl, key);
    const res = await theirs.get(`/v1/exports/${done.id}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect((await theirs.post(`/v1/webhooks/${id}/logs/export`)).status).toBe(404);
    expect((await api.get(`/v1/exports/${done.id}`)).body.status).toBe('ready');
  });

  it('has the bucket expire exports after 7 days and abort incomplete uploads', async () => {
    const { Rules } = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    expect(Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Status: 'Enabled', Filter: { Prefix: 'exports/' }, Expiration: expect.objectContaining({ Days: 7 }) }),
        expect.objectContaining({ Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
      ]),
    );
  });

  it('drops a job whose export record is missing, without handing it back to the queue', async () => {
    const event = {
      Records: [{ messageId: 'm-1', body: JSON.stringify({ type: 'export', tenantId: 'local', exportId: newId('export') }), attributes: { ApproximateReceiveCount: '1' } }],
    } as unknown as SQSEvent;
    await expect(exportHandler(event)).resolves.toEqual({ batchItemFailures: [] });
  });

  it('ends failed with a reason, never stuck pending, when S3 is unavailable', async () => {
    const id = await webhook('No bucket');
    await logs.writeAll(Array.from({ length: 20 }, (_, i) => attempt(id, Date.now() - HOUR + i, i)));
    await stack.idle();
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    if (listed.Contents?.length) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: listed.Contents.map((o) => ({ Key: o.Key! })) } }));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    try {
      const done = await exportOf(id);
      expect(done).toMatchObject({ status: 'failed', url: null, expiresAt: null, rowCount: null });
      expect(done.error).toMatch(/could not be written/);
    } finally {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: bucket,
          LifecycleConfiguration: { Rules: [{ ID: 'expire-exports', Status: 'Enabled', Filter: { Prefix: 'exports/' }, Expiration: { Days: 7 } }] },
        }),
      );
    }
    // With the bucket back, a new export works again.
    expect(await exportOf(id)).toMatchObject({ status: 'ready', rowCount: 20 });
  });
});
