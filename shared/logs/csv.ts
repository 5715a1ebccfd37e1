import { stringify, type Stringifier } from 'csv-stringify';
import type { AttemptRecord } from './model';

/** The contract's header row, in order. */
export const CSV_COLUMNS = [
  'attempted_at',
  'event_id',
  'event_type',
  'attempt',
  'outcome',
  'status_code',
  'duration_ms',
  'url',
  'error',
  'next_attempt_at',
  'response_excerpt',
] as const;

/**
 * Spreadsheets run a cell that starts with one of these as a formula (CSV injection). In the
 * free-text columns such a cell gets a leading apostrophe, which spreadsheets show as text.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
export function neutralise(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export function csvRow(record: AttemptRecord): (string | number)[] {
  return [
    record.attemptedAt,
    record.eventId,
    record.eventType,
    record.attempt,
    record.outcome,
    record.statusCode ?? '',
    record.durationMs,
    neutralise(record.url),
    neutralise(record.error ?? ''),
    record.nextAttemptAt ?? '',
    neutralise(record.responseExcerpt ?? ''),
  ];
}

/** An RFC 4180 writer (CRLF, quotes doubled, fields with commas/quotes/newlines quoted) with the header row. */
export function csvWriter(): Stringifier {
  return stringify({ header: true, columns: [...CSV_COLUMNS], record_delimiter: 'windows', quoted_match: /[",\r\n]/ });
}
