import type { RetryPolicy } from '../webhooks/model';

/** Retry-After can ask for longer than the policy, up to a day and no more. */
export const MAX_RETRY_AFTER_SECONDS = 86_400;
/** Each wait is the policy's value times a uniform factor in [1 - JITTER, 1 + JITTER). */
export const JITTER = 0.2;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// RFC 9110 section 5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms a recipient must accept.
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850 = new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

interface DateParts {
  year: number;
  month: string;
  day: string;
  hh: string;
  mm: string;
  ss: string;
}

function dateParts(value: string, now: number): DateParts | null {
  let m = IMF_FIXDATE.exec(value);
  if (m) return { day: m[1]!, month: m[2]!, year: Number(m[3]), hh: m[4]!, mm: m[5]!, ss: m[6]! };
  if ((m = RFC850.exec(value))) {
    // RFC 9110: a two-digit year that looks more than 50 years ahead is in the past century.
    let year = 2000 + Number(m[3]);
    while (year > new Date(now).getUTCFullYear() + 50) year -= 100;
    return { day: m[1]!, month: m[2]!, year, hh: m[4]!, mm: m[5]!, ss: m[6]! };
  }
  if ((m = ASCTIME.exec(value))) return { month: m[1]!, day: m[2]!.trim(), hh: m[3]!, mm: m[4]!, ss: m[5]!, year: Number(m[6]) };
  return null;
}

/** Epoch ms of an HTTP-date, or null. Stricter than Date.parse, which reads "1.5" or "-3" as dates. */
export function parseHttpDate(value: string, now: number): number | null {
  const p = dateParts(value, now);
  if (!p) return null;
  const [day, hh, mm, ss] = [Number(p.day), Number(p.hh), Number(p.mm), Number(p.ss)];
  const ms = Date.UTC(p.year, MONTHS.indexOf(p.month), day, hh, mm, ss);
  const back = new Date(ms);
  // Date.UTC rolls Feb 30 over into March: an impossible date is no date.
  if (back.getUTCDate() !== day || back.getUTCHours() !== hh || back.getUTCMinutes() !== mm || back.getUTCSeconds() !== ss) return null;
  return ms;
}

/**
 * Parses Retry-After (delta-seconds or an HTTP-date) into whole seconds from `now`.
 * Returns null when absent or unparseable; a date in the past is 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = parseHttpDate(trimmed, now);
  if (at === null) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

export interface NextAttemptInput {
  policy: RetryPolicy;
  /** The attempt that just failed, 1-based. */
  attempt: number;
  statusCode: number | null;
  retryAfter: string | null;
  /** Epoch ms the response arrived; an HTTP-date Retry-After counts from it. */
  now: number;
  /** A source of uniform numbers in [0, 1), injected so tests are exact. */
  random: () => number;
}

/**
 * Seconds until the next attempt, or null when the delivery is over (attempts exhausted,
 * or the receiver answered 410 Gone). The policy's wait gets ±20% jitter, never below 1 s,
 * so that receivers coming back from an outage are not hit by every retry at once. A 429 or
 * 503 with Retry-After waits at least as long as asked, capped at 24 h. Pure: the clock and
 * randomness come in as arguments.
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
