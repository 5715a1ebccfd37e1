import { describe, expect, it } from 'vitest';
import {
  activationBlocker,
  deactivationNotice,
  describeValidation,
  errorLabel,
  eventTypeLabel,
  formatDuration,
  formatTime,
  statusLabel,
  validationLabel,
} from '../../console/src/lib/labels';
import type { Validation, Webhook } from '../../console/src/lib/types';

const URL_A = 'https://hooks.example.com/a';
const validation = (overrides: Partial<Validation> = {}): Validation => ({
  status: 'unvalidated',
  url: null,
  checkedAt: null,
  statusCode: null,
  error: null,
  ...overrides,
});
const webhook = (overrides: Partial<Webhook> = {}): Pick<Webhook, 'url' | 'validation' | 'status' | 'deactivatedReason'> => ({
  url: URL_A,
  status: 'inactive',
  validation: validation(),
  deactivatedReason: null,
  ...overrides,
});

describe('status labels', () => {
  it("uses the seed's words for the status", () => {
    expect(statusLabel('active')).toBe('Active');
    expect(statusLabel('inactive')).toBe('Inactive');
    expect(statusLabel('archived')).toBe('Archived');
  });

  it("uses the seed's words for the validation of the current URL", () => {
    expect(validationLabel(webhook())).toBe('Not validated');
    expect(validationLabel(webhook({ validation: validation({ status: 'succeeded', url: URL_A, statusCode: 200 }) }))).toBe('Validated');
    expect(validationLabel(webhook({ validation: validation({ status: 'failed', url: URL_A, error: 'refused' }) }))).toBe('Validation failed');
  });

  it('counts a result recorded for another URL as not validated', () => {
    const stale = webhook({ validation: validation({ status: 'succeeded', url: 'https://old.example.com/', statusCode: 200 }) });
    expect(validationLabel(stale)).toBe('Not validated');
    expect(activationBlocker(stale)).toMatch(/Validate the URL first/);
  });

  it('names event types by their seed name, and validation requests in words', () => {
    expect(eventTypeLabel('badge.awarded')).toBe('Badges Awarded');
    expect(eventTypeLabel('assignment.completed')).toBe('Assignment Completion');
    expect(eventTypeLabel('webhook.validation')).toBe('Validation request');
    expect(eventTypeLabel('something.else')).toBe('something.else');
  });
});

describe('activationBlocker', () => {
  it('allows Activate only after a successful validation of the current URL, and explains otherwise', () => {
    expect(activationBlocker(webhook())).toMatch(/Validate the URL first/);
    expect(activationBlocker(webhook({ validation: validation({ status: 'failed', url: URL_A, statusCode: 500 }) }))).toMatch(/failed/);
    expect(activationBlocker(webhook({ validation: validation({ status: 'succeeded', url: URL_A, statusCode: 204 }) }))).toBeNull();
    expect(activationBlocker(webhook({ status: 'archived', validation: validation({ status: 'succeeded', url: URL_A }) }))).toMatch(/Restore/);
  });
});

describe('describeValidation', () => {
  it('shows the status code or the error, and the duration', () => {
    expect(describeValidation(validation({ status: 'succeeded', url: URL_A, statusCode: 204, durationMs: 12 }))).toBe(
      'Validation succeeded: the URL answered 204 in 12 ms.',
    );
    expect(describeValidation(validation({ status: 'failed', url: URL_A, statusCode: 500, durationMs: 1500 }))).toBe(
      'Validation failed: the URL answered 500 in 1.5 s.',
    );
    expect(describeValidation(validation({ status: 'failed', url: URL_A, error: 'connection_refused', durationMs: 3 }))).toBe(
      'Validation failed: the receiver refused the connection in 3 ms.',
    );
    expect(describeValidation(validation({ status: 'failed', url: URL_A, statusCode: 503, error: 'http_status' }))).toBe('Validation failed: the URL answered 503.');
    expect(describeValidation(validation({ status: 'failed', url: URL_A, statusCode: 302, error: 'redirect', durationMs: 2 }))).toBe(
      'Validation failed: the URL answered 302, a redirect (not followed) in 2 ms.',
    );
    expect(describeValidation(validation({ status: 'failed', url: URL_A, error: 'something_new' }))).toBe('Validation failed: something_new.');
  });
});

describe('error codes', () => {
  it('names the API\'s attempt error codes in words and passes unknown ones through', () => {
    expect(errorLabel('timeout')).toBe('Timed out');
    expect(errorLabel('http_status')).toBe('Error status');
    expect(errorLabel('brand_new_code')).toBe('brand_new_code');
    expect(errorLabel(null)).toBe('');
  });
});

describe('formatting', () => {
  it('formats durations and UTC times', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(999)).toBe('999 ms');
    expect(formatDuration(12_345)).toBe('12 s');
    expect(formatTime('2026-12-04T12:00:00.000Z')).toBe('2026-12-04 12:00:00');
    expect(formatTime(null)).toBe('—');
  });

  it('explains a webhook the service deactivated for failing, and only that', () => {
    expect(deactivationNotice(webhook({ deactivatedReason: 'failing' }))).toMatch(/deliveries kept failing/);
    expect(deactivationNotice(webhook())).toBeNull();
    expect(deactivationNotice(webhook({ status: 'active', deactivatedReason: 'failing' }))).toBeNull();
  });
});
