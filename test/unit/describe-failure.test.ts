import { describe, expect, it } from 'vitest';
import { describeFailure } from '../../shared/webhooks/service';
import type { Validation } from '../../shared/webhooks/model';

const failed = (error: string | null, statusCode: number | null): Validation => ({
  status: 'failed',
  url: 'https://hooks.example.com/x',
  checkedAt: '2026-12-04T12:00:00.000Z',
  statusCode,
  error,
  durationMs: 12,
});

describe('describeFailure', () => {
  it.each([
    [failed('http_status', 500), 'it answered 500 instead of a 2xx'],
    [failed('redirect', 302), 'it answered 302, a redirect, which is never followed'],
    [failed('timeout', null), 'it did not answer in time'],
    [failed('connection_refused', null), 'the connection was refused'],
    [failed('dns', null), 'its host name could not be resolved'],
    [failed('blocked_address', null), 'it resolves to an address that webhooks may not call'],
    [failed('tls', null), 'its TLS certificate could not be verified'],
    [failed('something_new', null), 'it failed (something_new)'],
  ])('words %j as a sentence part, never a bare code', (validation, words) => {
    expect(describeFailure(validation)).toBe(words);
  });
});
