import { describe, expect, it } from 'vitest';
import { Conflict } from '../../shared/errors';
import { DEFAULT_RETRY_POLICY, UNVALIDATED, type Validation, type Webhook, type WebhookStatus } from '../../shared/webhooks/model';
import { assertEditable, isValidatedForCurrentUrl, nextStatus, type Transition } from '../../shared/webhooks/state';

const URL_NOW = 'https://hooks.example.com/now';

/** The validation states that matter: none, passed for this URL, passed for an older URL, failed. */
const VALIDATIONS: Record<string, Validation> = {
  unvalidated: UNVALIDATED,
  'succeeded (current url)': { status: 'succeeded', url: URL_NOW, checkedAt: '2026-12-04T12:00:00.000Z', statusCode: 200, error: null },
  'succeeded (old url)': { status: 'succeeded', url: 'https://hooks.example.com/old', checkedAt: '2026-12-04T12:00:00.000Z', statusCode: 204, error: null },
  failed: { status: 'failed', url: URL_NOW, checkedAt: '2026-12-04T12:00:00.000Z', statusCode: 500, error: 'status 500' },
};
type ValidationCase = keyof typeof VALIDATIONS;

function webhook(status: WebhookStatus, validation: Validation): Webhook {
  return {
    id: 'wh_01JEXAMPLE0000000000000000',
    tenantId: 'acme',
    name: 'Analytics sync',
    url: URL_NOW,
    eventTypes: ['badge.awarded'],
    status,
    deactivatedReason: null,
    validation,
    retryPolicy: DEFAULT_RETRY_POLICY,
    createdAt: '2026-12-04T12:00:00.000Z',
    updatedAt: '2026-12-04T12:00:00.000Z',
    secret: 'whsec_x',
    previousSecret: null,
    previousSecretExpiresAt: null,
    logsClearedAt: null,
    failingSince: null,
    failedDeliveries: 0,
    version: 1,
  };
}

/** A next status, or the 409 code of the refusal. */
type Outcome = WebhookStatus | { conflict: string };
const archived = { conflict: 'archived' };
const validationRequired = { conflict: 'validation_required' };
const notArchived = { conflict: 'not_archived' };

/**
 * The rules, written out: status x transition, and for activate also the validation state
 * (the only transition that depends on it).
 */
const RULES: Record<Transition, Record<WebhookStatus, Outcome | Record<ValidationCase, Outcome>>> = {
  activate: {
    inactive: { unvalidated: validationRequired, 'succeeded (current url)': 'active', 'succeeded (old url)': validationRequired, failed: validationRequired },
    // Already firing: activate is a no-op even after a failed re-validation.
    active: 'active',
    archived,
  },
  deactivate: { inactive: 'inactive', active: 'inactive', archived },
  archive: { inactive: 'archived', active: 'archived', archived: 'archived' },
  restore: { inactive: notArchived, active: notArchived, archived: 'inactive' },
  edit: { inactive: 'inactive', active: 'active', archived },
};

const cases: [WebhookStatus, Transition, ValidationCase, Outcome][] = [];
for (const [transition, byStatus] of Object.entries(RULES) as [Transition, (typeof RULES)[Transition]][]) {
  for (const [status, rule] of Object.entries(byStatus) as [WebhookStatus, Outcome | Record<ValidationCase, Outcome>][]) {
    for (const validation of Object.keys(VALIDATIONS)) {
      const outcome = typeof rule === 'object' && !('conflict' in rule) ? rule[validation]! : (rule as Outcome);
      cases.push([status, transition, validation, outcome]);
    }
  }
}

describe('webhook state rules', () => {
  it('covers every status x transition x validation state', () => {
    expect(cases).toHaveLength(3 * 5 * Object.keys(VALIDATIONS).length);
  });

  it.each(cases)('%s + %s (validation %s) -> %j', (status, transition, validation, outcome) => {
    const w = webhook(status, VALIDATIONS[validation]!);
    if (typeof outcome === 'string') {
      expect(nextStatus(w, transition)).toBe(outcome);
    } else {
      let thrown: unknown;
      try {
        nextStatus(w, transition);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(Conflict);
      expect((thrown as Conflict).code).toBe(outcome.conflict);
      expect((thrown as Conflict).message).toMatch(/\w+ \w+/);
    }
  });

  it('needs a validation of exactly the current URL', () => {
    expect(isValidatedForCurrentUrl(webhook('inactive', VALIDATIONS['succeeded (current url)']!))).toBe(true);
    expect(isValidatedForCurrentUrl(webhook('inactive', VALIDATIONS['succeeded (old url)']!))).toBe(false);
    expect(isValidatedForCurrentUrl(webhook('inactive', VALIDATIONS.failed!))).toBe(false);
  });

  it('refuses edits of archived webhooks only', () => {
    expect(() => assertEditable(webhook('archived', UNVALIDATED))).toThrow(Conflict);
    expect(() => assertEditable(webhook('inactive', UNVALIDATED))).not.toThrow();
    expect(() => assertEditable(webhook('active', VALIDATIONS['succeeded (current url)']!))).not.toThrow();
  });
});
