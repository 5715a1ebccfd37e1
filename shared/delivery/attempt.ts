import type { Envelope } from '../events/envelope';
import { newId } from '../ids';
import type { AttemptKind, StoredAttempt } from '../logs/model';
import { signingSecrets, type Webhook } from '../webhooks/model';
import type { Sender, SendResult } from './http-sender';
import { signedHeaders } from './signing';

export interface AttemptInput {
  sender: Sender;
  webhook: Webhook;
  /** Defaults to the webhook's URL; a PATCH validates the new URL before saving it. */
  url?: string;
  envelope: Envelope;
  userAgent: string;
  now: () => number;
}

export interface AttemptOutcome {
  id: string;
  attemptedAt: string;
  result: SendResult;
}

/** One signed POST: a fresh timestamp and signature per attempt, the same webhook-id always. */
export async function sendSigned(input: AttemptInput): Promise<AttemptOutcome> {
  const started = input.now();
  const body = JSON.stringify(input.envelope);
  const headers = signedHeaders({
    msgId: input.envelope.id,
    timestampSeconds: Math.floor(started / 1000),
    body,
    secrets: signingSecrets(input.webhook, started),
    userAgent: input.userAgent,
  });
  const result = await input.sender.send({ url: input.url ?? input.webhook.url, headers, body });
  return { id: newId('attempt', started), attemptedAt: new Date(started).toISOString(), result };
}

/** The log record of an attempt. */
export function attemptRecord(args: {
  outcome: AttemptOutcome;
  webhook: Webhook;
  url?: string;
  envelope: Envelope;
  attempt: number;
  kind: AttemptKind;
  deliveryId: string | null;
  nextAttemptAt: string | null;
  terminal: boolean;
}): StoredAttempt {
  const { result } = args.outcome;
  return {
    id: args.outcome.id,
    tenantId: args.webhook.tenantId,
    webhookId: args.webhook.id,
    eventId: args.envelope.id,
    eventType: args.envelope.type,
    attempt: args.attempt,
    attemptedAt: args.outcome.attemptedAt,
    url: args.url ?? args.webhook.url,
    outcome: result.ok ? 'succeeded' : 'failed',
    statusCode: result.statusCode,
    durationMs: result.durationMs,
    error: result.error,
    nextAttemptAt: args.nextAttemptAt,
    responseExcerpt: result.responseExcerpt,
    kind: args.kind,
    deliveryId: args.deliveryId,
    terminal: args.terminal,
  };
}

/** The user-agent every request carries: the service's name and version. */
export function userAgent(version: string): string {
  return `LMS-Webhooks/${version} (+https://standardwebhooks.com)`;
}
