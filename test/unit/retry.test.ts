import { describe, expect, it } from 'vitest';
import { JITTER, MAX_RETRY_AFTER_SECONDS, nextDelaySeconds, parseHttpDate, parseRetryAfter } from '../../shared/delivery/retry';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../shared/webhooks/model';

const NOW = Date.parse('2026-12-04T12:00:00.000Z');
const middle = () => 0.5;

function delay(overrides: Partial<Parameters<typeof nextDelaySeconds>[0]> = {}) {
  return nextDelaySeconds({ policy: DEFAULT_RETRY_POLICY, attempt: 1, statusCode: 500, retryAfter: null, now: NOW, random: middle, ...overrides });
}

describe('nextDelaySeconds', () => {
  it('follows the default schedule, one wait per failed attempt, and stops after attempt 8', () => {
    const waits = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => delay({ attempt }));
    expect(waits).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000, null]);
    expect(DEFAULT_RETRY_POLICY).toEqual({ maxAttempts: 8, backoffSeconds: [5, 300, 1800, 7200, 18000, 36000, 36000] });
  });

  it("follows the webhook's own policy", () => {
    const policy: RetryPolicy = { maxAttempts: 3, backoffSeconds: [2, 60] };
    expect([1, 2, 3].map((attempt) => delay({ policy, attempt }))).toEqual([2, 60, null]);
  });

  it('never retries with maxAttempts 1', () => {
    expect(delay({ policy: { maxAttempts: 1, backoffSeconds: [] } })).toBeNull();
  });

  it('jitters by ±20% and stays within the bounds for any random value', () => {
    expect(delay({ attempt: 2, random: () => 0 })).toBe(240);
    expect(delay({ attempt: 2, random: () => 0.999999 })).toBe(360);
    for (let i = 0; i < 200; i++) {
      const r = i / 200;
      const d = delay({ attempt: 4, random: () => r })!;
      expect(d).toBeGreaterThanOrEqual(7200 * (1 - JITTER));
      expect(d).toBeLessThanOrEqual(7200 * (1 + JITTER));
    }
  });

  it('never waits less than 1 s', () => {
    const policy: RetryPolicy = { maxAttempts: 2, backoffSeconds: [1] };
    expect(delay({ policy, random: () => 0 })).toBe(1);
  });

  it('stops at once on 410 Gone', () => {
    expect(delay({ statusCode: 410 })).toBeNull();
  });

  it('waits at least as long as a 429 or 503 asks with Retry-After (seconds)', () => {
    expect(delay({ statusCode: 429, retryAfter: '120' })).toBe(120);
    expect(delay({ statusCode: 503, retryAfter: '120' })).toBe(120);
    // Shorter than the policy's wait: the policy wins.
    expect(delay({ attempt: 2, statusCode: 429, retryAfter: '10' })).toBe(300);
  });

  it('honours an HTTP-date Retry-After, counted from the injected clock', () => {
    expect(delay({ statusCode: 503, retryAfter: 'Fri, 04 Dec 2026 12:10:00 GMT' })).toBe(600);
    expect(delay({ statusCode: 503, retryAfter: 'Fri, 04 Dec 2026 12:10:00 GMT', now: NOW + 300_000 })).toBe(300);
  });

  it('caps Retry-After at 24 hours', () => {
    expect(delay({ statusCode: 429, retryAfter: '999999999' })).toBe(MAX_RETRY_AFTER_SECONDS);
    expect(MAX_RETRY_AFTER_SECONDS).toBe(86_400);
  });

  it('ignores Retry-After on other status codes and when it is garbage', () => {
    expect(delay({ statusCode: 500, retryAfter: '120' })).toBe(5);
    expect(delay({ statusCode: null, retryAfter: '120' })).toBe(5);
    expect(delay({ statusCode: 429, retryAfter: 'soon' })).toBe(5);
  });

  it('still stops at maxAttempts when Retry-After asks for more', () => {
    expect(delay({ attempt: 8, statusCode: 429, retryAfter: '60' })).toBeNull();
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(' 30 ', NOW)).toBe(30);
  });

  it('reads the three HTTP-date forms', () => {
    expect(parseRetryAfter('Fri, 04 Dec 2026 12:00:30 GMT', NOW)).toBe(30);
    expect(parseRetryAfter('Friday, 04-Dec-26 12:00:30 GMT', NOW)).toBe(30);
    expect(parseRetryAfter('Fri Dec  4 12:00:30 2026', NOW)).toBe(30);
  });

  it('rounds a fraction of a second up, and a past date is 0', () => {
    expect(parseRetryAfter('Fri, 04 Dec 2026 12:00:30 GMT', NOW + 29_500)).toBe(1);
    expect(parseRetryAfter('Fri, 04 Dec 2026 11:00:00 GMT', NOW)).toBe(0);
  });

  it('refuses what is neither', () => {
    for (const value of [null, undefined, '', 'soon', '-3', '1.5', '2026-12-04T12:00:30Z', 'Fri, 31 Feb 2026 12:00:00 GMT', 'Fri, 04 Dec 2026 12:00:30 PST']) {
      expect(parseRetryAfter(value, NOW)).toBeNull();
    }
  });
});

describe('parseHttpDate', () => {
  it('puts a two-digit RFC 850 year in the right century', () => {
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(Date.parse('1994-11-06T08:49:37Z'));
  });
});
