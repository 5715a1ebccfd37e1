import type { AttemptRecord } from './types';

export interface DayBucket {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  succeeded: number;
  failed: number;
}

const DAY_MS = 86_400_000;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const startOfUtcDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

export interface PerDayOptions {
  /** The chart ends today (UTC). */
  now: number;
  /** At least this many days are drawn, so one busy day does not fill the chart. Default 7. */
  minDays?: number;
  /** At most this many days: logs expire after 30. Default 30. */
  maxDays?: number;
}

/**
 * Attempts per UTC day split by outcome, for the loaded records, with empty days filled in.
 * The range runs from the oldest loaded record's day (within `minDays`..`maxDays`) to today;
 * records outside it are left out rather than stretching the chart.
 */
export function attemptsPerDay(records: readonly Pick<AttemptRecord, 'attemptedAt' | 'outcome'>[], options: PerDayOptions): DayBucket[] {
  const minDays = options.minDays ?? 7;
  const maxDays = options.maxDays ?? 30;
  const today = startOfUtcDay(options.now);
  let oldest = today;
  const times: { at: number; outcome: AttemptRecord['outcome'] }[] = [];
  for (const record of records) {
    const at = Date.parse(record.attemptedAt);
    if (Number.isNaN(at)) continue;
    times.push({ at, outcome: record.outcome });
    oldest = Math.min(oldest, startOfUtcDay(at));
  }
  const span = Math.round((today - oldest) / DAY_MS) + 1;
  const days = Math.min(maxDays, Math.max(minDays, span));
  const first = today - (days - 1) * DAY_MS;

  const buckets: DayBucket[] = [];
  for (let i = 0; i < days; i++) buckets.push({ day: utcDay(first + i * DAY_MS), succeeded: 0, failed: 0 });
  for (const { at, outcome } of times) {
    const index = Math.floor((startOfUtcDay(at) - first) / DAY_MS);
    const bucket = buckets[index];
    if (!bucket) continue;
    if (outcome === 'succeeded') bucket.succeeded++;
    else bucket.failed++;
  }
  return buckets;
}

/** A round top for the y axis: 1, 2, 5, 10, 20, 50, ... at or above `max`. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= max) return step * magnitude;
  return 10 * magnitude;
}
