import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { CSV_COLUMNS, csvRow, csvWriter, neutralise } from '../../shared/logs/csv';
import type { AttemptRecord } from '../../shared/logs/model';
import { exportFileName } from '../../shared/logs/service';

const CONTRACT_HEADER = 'attempted_at,event_id,event_type,attempt,outcome,status_code,duration_ms,url,error,next_attempt_at,response_excerpt';

function record(overrides: Partial<AttemptRecord> = {}): AttemptRecord {
  return {
    id: 'att_01JF0000000000000000000000',
    eventId: 'evt_01JF0000000000000000000000',
    eventType: 'badge.awarded',
    attempt: 2,
    attemptedAt: '2026-12-04T12:00:00.000Z',
    url: 'https://hooks.example.com/lms',
    outcome: 'failed',
    statusCode: 500,
    durationMs: 87,
    error: 'HTTP 500',
    nextAttemptAt: '2026-12-04T12:05:00.000Z',
    responseExcerpt: 'oops',
    kind: 'delivery',
    deliveryId: 'dlv_01JF0000000000000000000000',
    ...overrides,
  };
}

/** Runs records through the writer and returns the whole text. */
async function render(records: AttemptRecord[]): Promise<string> {
  const writer = csvWriter();
  const chunks: string[] = [];
  writer.on('data', (chunk: Buffer | string) => chunks.push(String(chunk)));
  const ended = new Promise((resolve, reject) => {
    writer.on('end', resolve);
    writer.on('error', reject);
  });
  for (const r of records) writer.write(csvRow(r));
  writer.end();
  await ended;
  return chunks.join('');
}

describe('CSV export format', () => {
  it("writes exactly the contract's header row, even with no records", async () => {
    expect(CSV_COLUMNS.join(',')).toBe(CONTRACT_HEADER);
    expect(await render([])).toBe(`${CONTRACT_HEADER}\r\n`);
  });

  it('writes one CRLF-terminated row per record, columns in contract order, nulls as empty cells', async () => {
    const text = await render([
      record(),
      record({ outcome: 'succeeded', statusCode: null, error: null, nextAttemptAt: null, responseExcerpt: '', attempt: 1, durationMs: 0 }),
    ]);
    expect(text.split('\r\n')).toEqual([
      CONTRACT_HEADER,
      '2026-12-04T12:00:00.000Z,evt_01JF0000000000000000000000,badge.awarded,2,failed,500,87,https://hooks.example.com/lms,HTTP 500,2026-12-04T12:05:00.000Z,oops',
      '2026-12-04T12:00:00.000Z,evt_01JF0000000000000000000000,badge.awarded,1,succeeded,,0,https://hooks.example.com/lms,,,',
      '',
    ]);
  });

  it('quotes by RFC 4180: commas, doubled quotes, LF, CR and CRLF inside a quoted field', async () => {
    const excerpts = ['a,b', 'he said "hi"', 'line1\nline2', 'cr\ronly', 'crlf\r\nend', '{"ok":true,"n":[1,2]}', ' padded '];
    const text = await render(excerpts.map((responseExcerpt) => record({ responseExcerpt })));
    const lines = text.split('\r\n');
    expect(lines[1]!.endsWith(',"a,b"')).toBe(true);
    expect(lines[2]!.endsWith(',"he said ""hi"""')).toBe(true);
    expect(text).toContain(',"line1\nline2"\r\n');
    expect(text).toContain(',"cr\ronly"\r\n');
    expect(text).toContain(',"crlf\r\nend"\r\n');
    // A cell that needs no quoting stays bare (leading and trailing spaces are data).
    expect(text.endsWith(', padded \r\n')).toBe(true);
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.response_excerpt)).toEqual(excerpts);
  });

  it('neutralises formula starters (=, +, -, @, tab, CR) in the free-text columns with a leading apostrophe', async () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r']) {
      expect(neutralise(`${start}SUM(A1:A9)`)).toBe(`'${start}SUM(A1:A9)`);
    }
    for (const safe of ['SUM(1)', ' =1', "'=1", '', 'https://x.test/?a=-1', '1-2']) expect(neutralise(safe)).toBe(safe);

    const text = await render([record({ url: '=HYPERLINK("http://evil.test")', error: '-2+3', responseExcerpt: '@cmd|\' /C calc\'!A0' })]);
    const [row] = parse(text, { columns: true }) as Record<string, string>[];
    expect(row!.url).toBe('\'=HYPERLINK("http://evil.test")');
    expect(row!.error).toBe("'-2+3");
    expect(row!.response_excerpt).toBe("'@cmd|' /C calc'!A0");
  });

  it('leaves the other columns as they are: ids, types, numbers and ISO-8601 UTC times', async () => {
    const text = await render([record({ attempt: 10, statusCode: 429, durationMs: 15000 })]);
    const [row] = parse(text, { columns: true }) as Record<string, string>[];
    expect(row).toMatchObject({
      attempted_at: '2026-12-04T12:00:00.000Z',
      event_id: 'evt_01JF0000000000000000000000',
      event_type: 'badge.awarded',
      attempt: '10',
      outcome: 'failed',
      status_code: '429',
      duration_ms: '15000',
      next_attempt_at: '2026-12-04T12:05:00.000Z',
    });
    expect(row!.attempted_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('export file name', () => {
  const at = Date.parse('2026-12-04T23:59:00Z');
  it("is the webhook's name, -logs-, the UTC date, .csv", () => {
    expect(exportFileName('Analytics sync', at)).toBe('Analytics-sync-logs-2026-12-04.csv');
  });
  it('keeps only characters that are safe in a Content-Disposition header', () => {
    expect(exportFileName('Données "élèves"; x=1\r\n', at)).toBe('Donnees-eleves-x-1-logs-2026-12-04.csv');
    expect(exportFileName('日本語', at)).toBe('webhook-logs-2026-12-04.csv');
    expect(exportFileName('a'.repeat(100), at)).toBe(`${'a'.repeat(60)}-logs-2026-12-04.csv`);
  });
});
