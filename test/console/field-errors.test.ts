import { describe, expect, it } from 'vitest';
import { fieldForPath, firstErrorField, mapDetails } from '../../console/src/lib/field-errors';

describe("mapping a 422's details to the form's fields", () => {
  it('maps the paths the API writes to fields', () => {
    expect(fieldForPath('name')).toBe('name');
    expect(fieldForPath('url')).toBe('url');
    expect(fieldForPath('eventTypes')).toBe('eventTypes');
    expect(fieldForPath('eventTypes.2')).toBe('eventTypes');
    expect(fieldForPath('retryPolicy.maxAttempts')).toBe('maxAttempts');
    expect(fieldForPath('retryPolicy.backoffSeconds')).toBe('backoffSeconds');
    expect(fieldForPath('retryPolicy.backoffSeconds.3')).toBe('backoffSeconds');
    expect(fieldForPath('retryPolicy')).toBe('backoffSeconds');
    expect(fieldForPath('status')).toBeNull();
    expect(fieldForPath('body')).toBeNull();
  });

  it('puts each message next to its field, joins several, and keeps the rest for the form', () => {
    const mapped = mapDetails([
      { path: 'url', message: 'Only https URLs are allowed.' },
      { path: 'eventTypes.0', message: 'Invalid option.' },
      { path: 'eventTypes.1', message: 'Invalid option.' },
      { path: 'eventTypes', message: 'Each event type may appear once.' },
      { path: 'status', message: 'status is read-only and cannot be set.' },
    ]);
    expect(mapped.fields).toEqual({
      url: 'Only https URLs are allowed.',
      eventTypes: 'Invalid option. Each event type may appear once.',
    });
    expect(mapped.other).toEqual(['status: status is read-only and cannot be set.']);
  });

  it('focuses the first field with an error, in form order', () => {
    expect(firstErrorField({ backoffSeconds: 'x', url: 'y' })).toBe('url');
    expect(firstErrorField({})).toBeNull();
  });
});
