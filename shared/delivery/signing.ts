import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'whsec_';

/** A new signing secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks). */
export function newSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
}

/** `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the decoded secret. */
export function sign(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${msgId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

export interface SignedHeadersInput {
  msgId: string;
  timestampSeconds: number;
  body: string;
  /** The current secret first; a rotated-out one still in its grace period after it. */
  secrets: string[];
  userAgent: string;
}

/** The Standard Webhooks headers of one attempt; each attempt is signed afresh. */
export function signedHeaders(input: SignedHeadersInput): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': input.userAgent,
    'webhook-id': input.msgId,
    'webhook-timestamp': String(input.timestampSeconds),
    'webhook-signature': input.secrets.map((s) => sign(s, input.msgId, input.timestampSeconds, input.body)).join(' '),
  };
}

/** Checks a signature header against a secret (used by tests and the docs' receiver sample). */
export function verify(secret: string, msgId: string, timestampSeconds: number, body: string, header: string): boolean {
  const expected = Buffer.from(sign(secret, msgId, timestampSeconds, body));
  return header.split(' ').some((candidate) => {
    const got = Buffer.from(candidate);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
