import type { RetryPolicy } from '../webhooks/model';

/** Retry-After can ask for longer than the policy, up to a day and no more. */
export const MAX_RETRY_AFTER_SECONDS = 86_400;
export const JITTER = 0.2;

/**
 * Parses Retry-After (delta-seconds or an HTTP date) into seconds from `now`.
 * Returns null when absent or unparseable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

export interface NextAttemptInput {
  policy: RetryPolicy;
  /** The attempt that just failed, 1-based. */
  attempt: number;
  statusCode: number | null;
  retryAfter: string | null;
  now: number;
  /** A source of uniform numbers in [0, 1), injected so tests are exact. */
  random: () => number;
}

/**
 * Seconds until the next attempt, or null when the delivery is over (attempts exhausted,
 * or the receiver answered 410 Gone). Pure: the clock and randomness come in as arguments.
 */
export function nextDelaySeconds(input: NextAttemptInput): number | null {
  const { policy, attempt, statusCode } = input;
  if (statusCode === 410) return null;
  if (attempt >= policy.maxAttempts) return null;
  const base = policy.backoffSeconds[attempt - 1];
  if (base === undefined) return null;
  const factor = 1 - JITTER + 2 * JITTER * input.random();
  let delay = Math.max(1, Math.round(base * factor));
  if (statusCode === 429 || statusCode === 503) {
    const asked = parseRetryAfter(input.retryAfter, input.now);
    if (asked !== null && asked > delay) delay = Math.min(asked, MAX_RETRY_AFTER_SECONDS);
  }
  return delay;
}
