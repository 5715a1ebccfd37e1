import { describe, expect, it } from 'vitest';
import type { Webhook } from '../../console/src/lib/types';
import {
  clearChangedErrors,
  defaultBackoff,
  emptyForm,
  formFromWebhook,
  parseRetry,
  toCreateBody,
  toPatchBody,
  urlChangeNeedsValidation,
} from '../../console/src/lib/webhook-form';

const existing = (overrides: Partial<Webhook> = {}): Webhook => ({
  id: 'wh_01JEXAMPLE0000000000000000',
  name: 'Analytics sync',
  url: 'https://hooks.example.com/lms',
  eventTypes: ['assignment.completed', 'badge.awarded'],
  status: 'active',
  deactivatedReason: null,
  validation: { status: 'succeeded', url: 'https://hooks.example.com/lms', checkedAt: null, statusCode: 200, error: null },
  retryPolicy: { maxAttempts: 3, backoffSeconds: [5, 60] },
  createdAt: '2026-12-04T12:00:00.000Z',
  updatedAt: '2026-12-04T12:00:00.000Z',
  ...overrides,
});

describe('the create body', () => {
  it('trims, orders event types as the catalog does, and leaves the default retry policy to the API', () => {
    const built = toCreateBody({ ...emptyForm(), name: '  Badges ', url: ' https://h.example.com/x ', eventTypes: ['workshop.attended', 'badge.awarded'] });
    expect(built).toEqual({ ok: true, body: { name: 'Badges', url: 'https://h.example.com/x', eventTypes: ['badge.awarded', 'workshop.attended'] } });
  });

  it('sends a changed retry policy', () => {
    const built = toCreateBody({ ...emptyForm(), name: 'n', url: 'u', eventTypes: ['badge.awarded'], maxAttempts: '3', backoffSeconds: '5, 60' });
    expect(built).toMatchObject({ ok: true, body: { retryPolicy: { maxAttempts: 3, backoffSeconds: [5, 60] } } });
  });

  it('refuses retry fields that are not whole numbers, on their fields', () => {
    expect(parseRetry({ maxAttempts: 'three', backoffSeconds: '5, 1.5, x' })).toEqual({
      ok: false,
      errors: { maxAttempts: expect.stringMatching(/whole number/), backoffSeconds: expect.stringMatching(/whole seconds/) },
    });
    expect(parseRetry({ maxAttempts: '1', backoffSeconds: '' })).toEqual({ ok: true, policy: { maxAttempts: 1, backoffSeconds: [] } });
  });

  it('cuts or extends the default schedule to the number of attempts', () => {
    expect(defaultBackoff(1)).toEqual([]);
    expect(defaultBackoff(3)).toEqual([5, 300]);
    expect(defaultBackoff(10)).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000, 36000, 36000]);
  });
});

describe('the PATCH body', () => {
  it('carries only what changed', () => {
    const webhook = existing();
    expect(toPatchBody(webhook, formFromWebhook(webhook))).toEqual({ ok: true, body: {} });
    expect(toPatchBody(webhook, { ...formFromWebhook(webhook), name: 'Renamed' })).toEqual({ ok: true, body: { name: 'Renamed' } });
    expect(toPatchBody(webhook, { ...formFromWebhook(webhook), eventTypes: ['badge.awarded', 'assignment.completed'] })).toEqual({ ok: true, body: {} });
    expect(toPatchBody(webhook, { ...formFromWebhook(webhook), eventTypes: ['badge.awarded'] })).toEqual({ ok: true, body: { eventTypes: ['badge.awarded'] } });
    expect(toPatchBody(webhook, { ...formFromWebhook(webhook), url: 'https://new.example.com/' })).toEqual({ ok: true, body: { url: 'https://new.example.com/' } });
    expect(toPatchBody(webhook, { ...formFromWebhook(webhook), maxAttempts: '1', backoffSeconds: '' })).toEqual({
      ok: true,
      body: { retryPolicy: { maxAttempts: 1, backoffSeconds: [] } },
    });
  });

  it('knows when a new URL will be validated before it is saved (active webhooks only)', () => {
    const form = { url: 'https://new.example.com/' };
    expect(urlChangeNeedsValidation(existing(), form)).toBe(true);
    expect(urlChangeNeedsValidation(existing(), { url: 'https://hooks.example.com/lms' })).toBe(false);
    expect(urlChangeNeedsValidation(existing({ status: 'inactive' }), form)).toBe(false);
  });
});

describe('field errors while typing', () => {
  it('drops the error of a field once its value changes, and keeps the others', () => {
    const before = { ...emptyForm(), name: '', url: 'ftp://x' };
    const errors = { name: 'A name is required.', url: 'Only http and https URLs are allowed.', eventTypes: 'Choose at least one event type.' };
    expect(clearChangedErrors(errors, before, { ...before, name: 'B' })).toEqual({ url: errors.url, eventTypes: errors.eventTypes });
    expect(clearChangedErrors(errors, before, { ...before, eventTypes: ['badge.awarded'] })).toEqual({ name: errors.name, url: errors.url });
    expect(clearChangedErrors(errors, before, { ...before })).toEqual(errors);
  });
});
