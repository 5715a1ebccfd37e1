import { exampleEnvelope } from '../events/examples';
import type { Envelope } from '../events/envelope';
import { VALIDATION_EVENT_TYPE, type EventType } from '../events/types';
import { Conflict, InvalidRequest, ValidationFailed } from '../errors';
import { newId } from '../ids';
import type { AttemptRecord, StoredAttempt } from '../logs/model';
import { toRecord } from '../logs/model';
import { attemptRecord, sendSigned } from '../delivery/attempt';
import type { Sender } from '../delivery/http-sender';
import { newSecret } from '../delivery/signing';
import { checkWebhookUrl, type UrlPolicy } from '../delivery/url-policy';
import {
  DEFAULT_RETRY_POLICY,
  UNVALIDATED,
  type CreateWebhookInput,
  type PatchWebhookInput,
  type Validation,
  type Webhook,
  type WebhookStatus,
} from './model';
import type { WebhookRepository } from './repository';
import { assertEditable, nextStatus, type Transition } from './state';

/** A rotated-out secret keeps signing (as a second signature) this long. */
export const SECRET_GRACE_MS = 24 * 3600 * 1000;

export interface WebhookServiceDeps {
  repo: WebhookRepository;
  logs: { writeAll(records: StoredAttempt[]): Promise<void> };
  sender: Sender;
  urlPolicy: UrlPolicy;
  userAgent: string;
  now(): number;
}

/** The management use cases. Every call is scoped to the tenant the authorizer named. */
export class WebhookService {
  constructor(private readonly deps: WebhookServiceDeps) {}

  private iso(): string {
    return new Date(this.deps.now()).toISOString();
  }

  private checkUrl(url: string): string {
    const check = checkWebhookUrl(url, this.deps.urlPolicy);
    if (!check.ok) throw new InvalidRequest(check.message, [{ path: 'url', message: check.message }], check.code);
    return check.url.href;
  }

  async create(tenantId: string, input: CreateWebhookInput): Promise<{ webhook: Webhook; secret: string }> {
    const url = this.checkUrl(input.url);
    const now = this.iso();
    const webhook: Webhook = {
      id: newId('webhook', this.deps.now()),
      tenantId,
      name: input.name,
      url,
      eventTypes: input.eventTypes,
      status: 'inactive',
      deactivatedReason: null,
      validation: UNVALIDATED,
      retryPolicy: input.retryPolicy ?? DEFAULT_RETRY_POLICY,
      createdAt: now,
      updatedAt: now,
      secret: newSecret(),
      previousSecret: null,
      previousSecretExpiresAt: null,
      logsClearedAt: null,
      failingSince: null,
      failedDeliveries: 0,
      version: 1,
    };
    await this.deps.repo.create(webhook);
    return { webhook, secret: webhook.secret };
  }

  get(tenantId: string, id: string): Promise<Webhook> {
    return this.deps.repo.require(tenantId, id);
  }

  list(tenantId: string, options: { status?: WebhookStatus; limit: number; cursor?: string }) {
    return this.deps.repo.list(tenantId, options);
  }

  /**
   * Edits. A new URL on an inactive webhook resets validation; on an active one it is
   * validated first and saved only on a 2xx, so no event goes to an unvalidated URL and the
   * webhook keeps firing at its old URL until then.
   */
  async update(tenantId: string, id: string, input: PatchWebhookInput): Promise<Webhook> {
    const current = await this.deps.repo.require(tenantId, id);
    assertEditable(current);
    const next: Webhook = { ...current, updatedAt: this.iso() };
    if (input.name !== undefined) next.name = input.name;
    if (input.eventTypes !== undefined) next.eventTypes = input.eventTypes;
    if (input.retryPolicy !== undefined) next.retryPolicy = input.retryPolicy;
    if (input.url !== undefined) {
      const url = this.checkUrl(input.url);
      if (url !== current.url) {
        next.url = url;
        if (current.status === 'active') {
          const validation = await this.runValidation(current, url);
          if (validation.status !== 'succeeded') {
            throw new ValidationFailed(
              `The new URL did not pass validation: ${describeFailure(validation)}. The webhook keeps its old URL and stays active.`,
              validation,
            );
          }
          next.validation = validation;
        } else {
          next.validation = UNVALIDATED;
        }
      }
    }
    return this.deps.repo.save(next);
  }

  /** Sends a signed `webhook.validation` request to the URL now and records the result. */
  async validate(tenantId: string, id: string): Promise<Webhook> {
    const current = await this.deps.repo.require(tenantId, id);
    assertEditable(current);
    const validation = await this.runValidation(current, current.url);
    return this.deps.repo.save({ ...current, validation, updatedAt: this.iso() });
  }

  private async runValidation(webhook: Webhook, url: string): Promise<Validation> {
    const envelope: Envelope = {
      id: newId('event', this.deps.now()),
      type: VALIDATION_EVENT_TYPE,
      occurredAt: this.iso(),
      tenantId: webhook.tenantId,
      webhookId: webhook.id,
      data: { url, name: webhook.name, eventTypes: webhook.eventTypes },
    };
    const outcome = await sendSigned({ sender: this.deps.sender, webhook, url, envelope, userAgent: this.deps.userAgent, now: this.deps.now });
    await this.deps.logs.writeAll([
      attemptRecord({ outcome, webhook, url, envelope, attempt: 1, kind: 'validation', deliveryId: null, nextAttemptAt: null, terminal: false }),
    ]);
    const { result } = outcome;
    return {
      status: result.ok ? 'succeeded' : 'failed',
      url,
      checkedAt: outcome.attemptedAt,
      statusCode: result.statusCode,
      error: result.ok ? null : result.error,
      durationMs: result.durationMs,
    };
  }

  async transition(tenantId: string, id: string, transition: Exclude<Transition, 'edit'>): Promise<Webhook> {
    const current = await this.deps.repo.require(tenantId, id);
    const status = nextStatus(current, transition);
    // Idempotent: asking for the state it is already in changes nothing.
    if (status === current.status && transition !== 'restore') return current;
    const next: Webhook = { ...current, status, updatedAt: this.iso() };
    if (status === 'active') next.deactivatedReason = null;
    if (transition === 'deactivate' || transition === 'archive') next.deactivatedReason = null;
    return this.deps.repo.save(next);
  }

  async secret(tenantId: string, id: string): Promise<string> {
    return (await this.deps.repo.require(tenantId, id)).secret;
  }

  /** A new secret; the old one still signs, as a second signature, for 24 hours. */
  async rotateSecret(tenantId: string, id: string): Promise<Webhook> {
    const current = await this.deps.repo.require(tenantId, id);
    assertEditable(current);
    return this.deps.repo.save({
      ...current,
      secret: newSecret(),
      previousSecret: current.secret,
      previousSecretExpiresAt: new Date(this.deps.now() + SECRET_GRACE_MS).toISOString(),
      updatedAt: this.iso(),
    });
  }

  /** Sends the type's catalog example now, marked as a test, to any non-archived webhook. */
  async testSend(tenantId: string, id: string, eventType: EventType): Promise<AttemptRecord> {
    const webhook = await this.deps.repo.require(tenantId, id);
    if (webhook.status === 'archived') throw new Conflict('archived', 'This webhook is archived. Restore it before sending a test event.');
    const example = exampleEnvelope(eventType, { tenantId, webhookId: webhook.id });
    const envelope: Envelope = { ...example, id: newId('event', this.deps.now()), occurredAt: this.iso(), test: true } as Envelope;
    const outcome = await sendSigned({ sender: this.deps.sender, webhook, envelope, userAgent: this.deps.userAgent, now: this.deps.now });
    const record = attemptRecord({ outcome, webhook, envelope, attempt: 1, kind: 'test', deliveryId: null, nextAttemptAt: null, terminal: false });
    await this.deps.logs.writeAll([record]);
    return toRecord(record);
  }

  async requireActive(tenantId: string, id: string): Promise<Webhook> {
    const webhook = await this.deps.repo.require(tenantId, id);
    if (webhook.status !== 'active') {
      throw new Conflict('not_active', `This webhook is ${webhook.status}; only active webhooks receive deliveries. Activate it first.`);
    }
    return webhook;
  }
}

const FAILURES: Record<string, string> = {
  timeout: 'it did not answer in time',
  connection_refused: 'the connection was refused',
  dns: 'its host name could not be resolved',
  blocked_address: 'it resolves to an address that webhooks may not call',
  tls: 'its TLS certificate could not be verified',
  redirect: 'it answered with a redirect, which is never followed',
  network: 'the connection failed',
  invalid_url: 'it is not a valid webhook URL',
};

/** A validation failure in words, for the 422 message (the code stays in `validation.error`). */
export function describeFailure(validation: Validation): string {
  if (validation.error === 'http_status' || (validation.error === null && validation.statusCode !== null)) {
    return `it answered ${validation.statusCode} instead of a 2xx`;
  }
  if (validation.error === 'redirect' && validation.statusCode) return `it answered ${validation.statusCode}, a redirect, which is never followed`;
  return FAILURES[validation.error ?? ''] ?? `it failed (${validation.error ?? 'unknown error'})`;
}
