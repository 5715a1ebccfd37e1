import { createHash, randomBytes } from 'node:crypto';
import { monotonicFactory, ulid } from 'ulid';

/** Prefixed ids: the prefix says what an id names, and the schemas check it. */
export const ID_PREFIX = {
  webhook: 'wh_',
  event: 'evt_',
  attempt: 'att_',
  export: 'exp_',
  delivery: 'dlv_',
  apiKey: 'key_',
} as const;
export type IdKind = keyof typeof ID_PREFIX;

const ULID_RE = '[0-9A-HJKMNP-TV-Z]{26}';
const monotonic = monotonicFactory();

/** A new id: prefix + ULID, so ids sort by creation time. */
export function newId(kind: IdKind, now: number = Date.now()): string {
  return ID_PREFIX[kind] + monotonic(now);
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const MAX_ULID_TIME = 2 ** 48 - 1;

/** The 10-character time part of a ULID (the library's ulid(0) would mean "now"). */
function encodeTime(ms: number): string {
  let t = Math.min(MAX_ULID_TIME, Math.max(0, Math.floor(ms)));
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

/** A ULID for a given time without monotonic state. */
export function ulidAt(ms: number): string {
  return encodeTime(ms) + ulid(ms).slice(10);
}

/** Lowest and highest ULIDs of a millisecond: turn time ranges into key ranges. */
export function ulidBounds(ms: number): { min: string; max: string } {
  const time = encodeTime(ms);
  return { min: `${time}0000000000000000`, max: `${time}ZZZZZZZZZZZZZZZZ` };
}

/** The time a ULID-based id was made. */
export function idTime(id: string): number {
  const body = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11);
  let ms = 0;
  for (const ch of body) ms = ms * 32 + CROCKFORD.indexOf(ch);
  return ms;
}

/** True when `id` has the kind's prefix and a ULID body. */
export function isId(kind: IdKind, id: string): boolean {
  return new RegExp(`^${ID_PREFIX[kind]}${ULID_RE}$`).test(id);
}

/**
 * The event id receivers dedupe on. Deterministic in (tenant, publisher id) so that
 * publishing the same event twice yields the same `webhook-id`.
 */
export function eventIdFor(tenantId: string, publisherId: string): string {
  const digest = createHash('sha256').update(`${tenantId}\u0000${publisherId}`).digest();
  // Crockford base32 of the first 130 bits, the same alphabet and length as a ULID.
  let bits = 0n;
  for (const byte of digest.subarray(0, 17)) bits = (bits << 8n) | BigInt(byte);
  bits >>= 6n;
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = CROCKFORD[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return ID_PREFIX.event + out;
}

/** Random url-safe token (API keys). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
