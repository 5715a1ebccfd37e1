import { describe, expect, it } from 'vitest';
import { attemptsPerDay, niceMax } from '../../console/src/lib/chart';

const NOW = Date.parse('2026-12-10T15:00:00.000Z');
const at = (iso: string, outcome: 'succeeded' | 'failed' = 'succeeded') => ({ attemptedAt: iso, outcome });

describe('attempts per day', () => {
  it('counts by UTC day and outcome, filling empty days, ending today', () => {
    const buckets = attemptsPerDay(
      [
        at('2026-12-10T00:00:00.000Z'),
        at('2026-12-10T23:59:59.999Z', 'failed'),
        at('2026-12-09T23:59:59.999Z'),
        at('2026-12-07T12:00:00.000Z', 'failed'),
        at('2026-12-07T13:00:00.000Z', 'failed'),
      ],
      { now: NOW },
    );
    expect(buckets).toHaveLength(7);
    expect(buckets[0]!.day).toBe('2026-12-04');
    expect(buckets.at(-1)).toEqual({ day: '2026-12-10', succeeded: 1, failed: 1 });
    expect(buckets.find((b) => b.day === '2026-12-09')).toEqual({ day: '2026-12-09', succeeded: 1, failed: 0 });
    expect(buckets.find((b) => b.day === '2026-12-08')).toEqual({ day: '2026-12-08', succeeded: 0, failed: 0 });
    expect(buckets.find((b) => b.day === '2026-12-07')).toEqual({ day: '2026-12-07', succeeded: 0, failed: 2 });
  });

  it('stretches to the oldest loaded record, up to 30 days, and leaves out what is older', () => {
    const twelve = attemptsPerDay([at('2026-11-29T08:00:00.000Z')], { now: NOW });
    expect(twelve).toHaveLength(12);
    expect(twelve[0]).toEqual({ day: '2026-11-29', succeeded: 1, failed: 0 });

    const capped = attemptsPerDay([at('2026-10-01T08:00:00.000Z'), at('2026-12-10T08:00:00.000Z')], { now: NOW });
    expect(capped).toHaveLength(30);
    expect(capped.reduce((n, b) => n + b.succeeded, 0)).toBe(1);
  });

  it('draws an empty week when nothing is loaded, and skips unreadable times', () => {
    const buckets = attemptsPerDay([at('not a time')], { now: NOW });
    expect(buckets).toHaveLength(7);
    expect(buckets.every((b) => b.succeeded === 0 && b.failed === 0)).toBe(true);
  });

  it('rounds the axis up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(1)).toBe(1);
    expect(niceMax(3)).toBe(5);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(11)).toBe(20);
    expect(niceMax(240)).toBe(500);
  });
});
