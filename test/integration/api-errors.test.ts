import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../functions/http/routes';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { apiClient, type ApiClient } from '../fixtures/api';
import { startReceiver, type Receiver } from '../fixtures/receiver';

const UNKNOWN_ID = 'wh_01JZZZZZZZZZZZZZZZZZZZZZZZ';

interface Case {
  name: string;
  body: unknown;
  status: number;
  code: string;
  /** Each must be the path of one of the details. */
  paths?: string[];
}

/**
 * Bad input through the local stack, as curl would send it: each gets its contract answer
 * (never a 500), and nothing is changed.
 */
describe('bad input on the local stack', () => {
  let stack: LocalStack;
  let api: ApiClient;
  let receiver: Receiver;
  let valid: Record<string, unknown>;

  const raw = (method: string, path: string, body: string | undefined, headers: Record<string, string>) =>
    fetch(stack.apiUrl + path, { method, headers: { authorization: `Bearer ${stack.apiKey}`, ...headers }, body }).then(async (res) => ({
      status: res.status,
      headers: res.headers,
      body: (await res.json().catch(() => undefined)) as any,
    }));

  const count = async () => (await api.get('/v1/webhooks?limit=100')).body.items.length + (await api.get('/v1/webhooks?status=archived&limit=100')).body.items.length;

  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, awsPort: 0, apiKey: 'errors-api-key-0001', allowLoopback: true });
    api = apiClient(stack.apiUrl, stack.apiKey);
    receiver = await startReceiver();
    valid = { name: 'Valid', url: `${receiver.url}/hooks`, eventTypes: ['badge.awarded'] };
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  function expectError(res: { status: number; body: any }, c: Omit<Case, 'body' | 'name'>) {
    expect(res.status).toBe(c.status);
    expect(res.body).toEqual({ error: { code: c.code, message: expect.stringMatching(/\w+ \w+/), ...(res.body?.error?.details ? { details: expect.any(Array) } : {}) } });
    for (const path of c.paths ?? []) {
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    for (const d of res.body.error.details ?? []) expect(d).toEqual({ path: expect.any(String), message: expect.stringMatching(/\w/) });
  }

  const bodyCases = (): Case[] => [
    { name: 'missing fields', body: {}, status: 422, code: 'invalid_request', paths: ['name', 'url', 'eventTypes'] },
    { name: 'JSON null', body: null, status: 422, code: 'invalid_request', paths: ['body'] },
    { name: 'a JSON array', body: [valid], status: 422, code: 'invalid_request', paths: ['body'] },
    { name: 'a JSON string', body: JSON.stringify('x'), status: 422, code: 'invalid_request', paths: ['body'] },
    { name: 'an empty name', body: { ...valid, name: '' }, status: 422, code: 'invalid_request', paths: ['name'] },
    { name: 'a blank name', body: { ...valid, name: '   ' }, status: 422, code: 'invalid_request', paths: ['name'] },
    { name: 'a name over 100 chars', body: { ...valid, name: 'n'.repeat(101) }, status: 422, code: 'invalid_request', paths: ['name'] },
    { name: 'a name that is a number', body: { ...valid, name: 5 }, status: 422, code: 'invalid_request', paths: ['name'] },
    { name: 'an empty url', body: { ...valid, url: '' }, status: 422, code: 'invalid_request', paths: ['url'] },
    { name: 'no event types', body: { ...valid, eventTypes: [] }, status: 422, code: 'invalid_request', paths: ['eventTypes'] },
    { name: 'event types not an array', body: { ...valid, eventTypes: 'badge.awarded' }, status: 422, code: 'invalid_request', paths: ['eventTypes'] },
    { name: 'an unknown event type', body: { ...valid, eventTypes: ['badge.awarded', 'badge.revoked'] }, status: 422, code: 'invalid_request', paths: ['eventTypes.1'] },
    { name: 'the validation type as an event type', body: { ...valid, eventTypes: ['webhook.validation'] }, status: 422, code: 'invalid_request', paths: ['eventTypes.0'] },
    { name: 'duplicate event types', body: { ...valid, eventTypes: ['badge.awarded', 'badge.awarded'] }, status: 422, code: 'invalid_request', paths: ['eventTypes'] },
    { name: 'an unknown field', body: { ...valid, colour: 'red' }, status: 422, code: 'invalid_request', paths: ['colour'] },
    ...['status', 'secret', 'tenantId', 'id', 'validation', 'createdAt', 'updatedAt', 'deactivatedReason'].map(
      (field): Case => ({ name: `read-only ${field}`, body: { ...valid, [field]: field === 'validation' ? {} : 'x' }, status: 422, code: 'invalid_request', paths: [field] }),
    ),
    { name: 'maxAttempts 0', body: { ...valid, retryPolicy: { maxAttempts: 0, backoffSeconds: [] } }, status: 422, code: 'invalid_request', paths: ['retryPolicy.maxAttempts'] },
    { name: 'maxAttempts 11', body: { ...valid, retryPolicy: { maxAttempts: 11, backoffSeconds: Array(10).fill(1) } }, status: 422, code: 'invalid_request', paths: ['retryPolicy.maxAttempts'] },
    { name: 'maxAttempts 1.5', body: { ...valid, retryPolicy: { maxAttempts: 1.5, backoffSeconds: [] } }, status: 422, code: 'invalid_request', paths: ['retryPolicy.maxAttempts'] },
    { name: 'too few backoff steps', body: { ...valid, retryPolicy: { maxAttempts: 3, backoffSeconds: [5] } }, status: 422, code: 'invalid_request', paths: ['retryPolicy.backoffSeconds'] },
    { name: 'too many backoff steps', body: { ...valid, retryPolicy: { maxAttempts: 2, backoffSeconds: [5, 6] } }, status: 422, code: 'invalid_request', paths: ['retryPolicy.backoffSeconds'] },
    { name: 'a backoff of 0 s', body: { ...valid, retryPolicy: { maxAttempts: 2, backoffSeconds: [0] } }, status: 422, code: 'invalid_request', paths: ['retryPolicy.backoffSeconds.0'] },
    { name: 'a backoff over 24 h', body: { ...valid, retryPolicy: { maxAttempts: 2, backoffSeconds: [86_401] } }, status: 422, code: 'invalid_request', paths: ['retryPolicy.backoffSeconds.0'] },
    { name: 'a retry policy without backoff', body: { ...valid, retryPolicy: { maxAttempts: 2 } }, status: 422, code: 'invalid_request', paths: ['retryPolicy.backoffSeconds'] },
    { name: 'an unknown retry policy field', body: { ...valid, retryPolicy: { maxAttempts: 1, backoffSeconds: [], jitter: true } }, status: 422, code: 'invalid_request', paths: ['retryPolicy.jitter'] },
  ];

  describe('POST /v1/webhooks', () => {
    it.each(bodyCases().map((c) => [c.name, c] as const))('refuses %s, creating nothing', async (_name, c) => {
      const before = await count();
      const res = await api.post('/v1/webhooks', typeof c.body === 'string' ? c.body : JSON.stringify(c.body));
      expectError(res, c);
      expect(await count()).toBe(before);
    });

    it('names read-only fields as read-only, and unknown ones as unknown', async () => {
      const res = await api.post('/v1/webhooks', { ...valid, status: 'active', colour: 'red' });
      expect(res.body.error.details).toEqual(
        expect.arrayContaining([
          { path: 'status', message: 'status is read-only and cannot be set.' },
          { path: 'colour', message: 'colour is not a known field.' },
        ]),
      );
    });

    it('takes the edges of the rules: a 100-char name, 10 attempts, 1 s and 24 h steps, a 2048-char URL', async () => {
      const url = `${receiver.url}/`.padEnd(2048, 'a');
      const res = await api.post('/v1/webhooks', {
        name: 'n'.repeat(100),
        url,
        eventTypes: ['assignment.completed', 'content.completed', 'badge.awarded', 'workshop.attended'],
        retryPolicy: { maxAttempts: 10, backoffSeconds: [1, 86_400, 1, 1, 1, 1, 1, 1, 1] },
      });
      expect(res.status, res.text).toBe(201);
      expect(res.body.url).toBe(url);
      expect((await api.post('/v1/webhooks', { ...valid, retryPolicy: { maxAttempts: 1, backoffSeconds: [] } })).status).toBe(201);
      const long = await api.post('/v1/webhooks', { ...valid, url: url + 'a' });
      expectError(long, { status: 422, code: 'invalid_request', paths: ['url'] });
    });

    it('answers 400 malformed_json for a body that is not JSON', async () => {
      for (const body of ['{"name":', '{name: "x"}', "{'a':1}", 'nope', '{"a":1}}']) {
        const before = await count();
        expectError(await raw('POST', '/v1/webhooks', body, { 'content-type': 'application/json' }), { status: 400, code: 'malformed_json' });
        expect(await count()).toBe(before);
      }
    });

    it('answers 413 payload_too_large over 64 KiB (and not at exactly 64 KiB)', async () => {
      const padded = (size: number) => {
        const base = JSON.stringify({ ...valid, name: '' });
        return base.replace('"name":""', `"name":"${'n'.repeat(size - base.length)}"`);
      };
      expect(Buffer.byteLength(padded(65_536))).toBe(65_536);
      const atLimit = await raw('POST', '/v1/webhooks', padded(65_536), { 'content-type': 'application/json' });
      expectError(atLimit, { status: 422, code: 'invalid_request', paths: ['name'] });
      const over = await raw('POST', '/v1/webhooks', padded(65_537), { 'content-type': 'application/json' });
      expectError(over, { status: 413, code: 'payload_too_large' });
      const big = await raw('POST', '/v1/webhooks', 'x'.repeat(1_000_000), { 'content-type': 'application/octet-stream' });
      expectError(big, { status: 413, code: 'payload_too_large' });
    });

    it('answers 415 unsupported_media_type for a body that is not sent as JSON', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx']) {
        expectError(await raw('POST', '/v1/webhooks', JSON.stringify(valid), { 'content-type': type }), { status: 415, code: 'unsupported_media_type' });
      }
      // fetch sends a string body as text/plain when no type is given, as curl -d sends form data.
      expectError(await raw('POST', '/v1/webhooks', JSON.stringify(valid), {}), { status: 415, code: 'unsupported_media_type' });
      for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON']) {
        expect((await raw('POST', '/v1/webhooks', JSON.stringify(valid), { 'content-type': type })).status, type).toBe(201);
      }
    });

    it('answers 422 for a missing body', async () => {
      expectError(await raw('POST', '/v1/webhooks', undefined, {}), { status: 422, code: 'invalid_request', paths: ['body'] });
      expectError(await raw('POST', '/v1/webhooks', '  ', { 'content-type': 'application/json' }), { status: 422, code: 'invalid_request', paths: ['body'] });
    });
  });

  describe('PATCH /v1/webhooks/{id}', () => {
    let id: string;
    let before: unknown;
    beforeAll(async () => {
      id = (await api.post('/v1/webhooks', { ...valid, name: 'Patch target' })).body.id;
      before = (await api.get(`/v1/webhooks/${id}`)).body;
    });

    const patchCases = (): Case[] => [
      { name: 'an empty object', body: {}, status: 422, code: 'invalid_request', paths: ['body'] },
      ...bodyCases().filter((c) => !['missing fields'].includes(c.name)),
      { name: 'a null name', body: { name: null }, status: 422, code: 'invalid_request', paths: ['name'] },
      { name: 'a blocked URL', body: { url: 'http://10.0.0.1/hooks', name: 'Changed' }, status: 422, code: 'blocked_address', paths: ['url'] },
      { name: 'a URL with a password', body: { url: 'https://user:pw@hooks.example.com/' }, status: 422, code: 'invalid_request', paths: ['url'] },
    ];

    it.each(patchCases().map((c) => [c.name, c] as const))('refuses %s and changes nothing', async (_name, c) => {
      const res = await api.patch(`/v1/webhooks/${id}`, typeof c.body === 'string' ? c.body : JSON.stringify(c.body));
      expectError(res, c);
      expect((await api.get(`/v1/webhooks/${id}`)).body).toEqual(before);
    });

    it('refuses malformed JSON, a wrong content type and an oversized body, changing nothing', async () => {
      expectError(await raw('PATCH', `/v1/webhooks/${id}`, '{"name":"x"', { 'content-type': 'application/json' }), { status: 400, code: 'malformed_json' });
      expectError(await raw('PATCH', `/v1/webhooks/${id}`, '{"name":"x"}', { 'content-type': 'text/plain' }), { status: 415, code: 'unsupported_media_type' });
      expectError(await raw('PATCH', `/v1/webhooks/${id}`, JSON.stringify({ name: 'x'.repeat(70_000) }), { 'content-type': 'application/json' }), { status: 413, code: 'payload_too_large' });
      expect((await api.get(`/v1/webhooks/${id}`)).body).toEqual(before);
    });
  });

  describe('ids, routes, methods, keys', () => {
    const badIds = ['wh_123', 'wh_01jzzzzzzzzzzzzzzzzzzzzzzz', 'WH_01JZZZZZZZZZZZZZZZZZZZZZZZ', 'exp_01JZZZZZZZZZZZZZZZZZZZZZZZ', UNKNOWN_ID, '%ZZ', '%E0%A4%A', 'x'.repeat(3000), "wh_01JZZZZZZZZZZZZZZZZZZZZZZZ'"];

    it.each(badIds)('answers 404 not_found for webhook id %s on every webhook route', async (bad) => {
      const idRoutes = routes.filter((r) => r.path.startsWith('/v1/webhooks/{id}'));
      for (const r of idRoutes) {
        const path = r.path.replace('{id}', bad).replace('{eventId}', 'evt_01JZZZZZZZZZZZZZZZZZZZZZZZ');
        const body = r.operationId === 'updateWebhook' ? { name: 'x' } : r.operationId === 'sendTestEvent' ? { eventType: 'badge.awarded' } : r.operationId === 'recoverFailed' ? { since: '2026-01-01T00:00:00Z' } : undefined;
        const res = await api.call(r.method, path, body);
        expect(res.status, `${r.method} ${path.slice(0, 80)}`).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      }
    });

    it('answers 404 not_found for an unknown export or event id', async () => {
      for (const path of ['/v1/exports/exp_01JZZZZZZZZZZZZZZZZZZZZZZZ', '/v1/exports/wh_01JZZZZZZZZZZZZZZZZZZZZZZZ', '/v1/exports/nope']) {
        const res = await api.get(path);
        expect(res.status, path).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      }
    });

    it('answers 404 not_found for an unknown route', async () => {
      for (const path of ['/v1', '/v1/', '/v1/nope', '/v1/webhooks/' + UNKNOWN_ID + '/nope', '/v1/webhooks/' + UNKNOWN_ID + '/secret/nope', '/v1/event-types/badge.awarded']) {
        const res = await api.get(path);
        expect(res.status, path).toBe(404);
        expect(res.body).toEqual({ error: { code: 'not_found', message: 'The route was not found.' } });
      }
    });

    it('answers 405 method_not_allowed, with Allow, for a method the path does not have', async () => {
      const cases: [string, string, string][] = [
        ['PUT', '/v1/webhooks', 'POST, GET'],
        ['DELETE', '/v1/webhooks', 'POST, GET'],
        ['DELETE', `/v1/webhooks/${UNKNOWN_ID}`, 'GET, PATCH'],
        ['PUT', `/v1/webhooks/${UNKNOWN_ID}`, 'GET, PATCH'],
        ['GET', `/v1/webhooks/${UNKNOWN_ID}/activate`, 'POST'],
        ['POST', '/v1/event-types', 'GET'],
        ['POST', `/v1/webhooks/${UNKNOWN_ID}/secret`, 'GET'],
      ];
      for (const [method, path, allow] of cases) {
        const res = await raw(method, path, undefined, {});
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.body.error.code).toBe('method_not_allowed');
        expect(res.headers.get('allow')).toBe(allow);
      }
    });

    it('answers 401 unauthorized with the contract body on every authenticated route, for a missing or wrong key', async () => {
      const headersList: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-key-123456' }, { authorization: 'Basic dXNlcjpwYXNz' }, { authorization: stack.apiKey }, { authorization: 'Bearer' }];
      for (const r of routes.filter((x) => x.auth)) {
        const path = r.path.replace('{id}', r.path.startsWith('/v1/exports') ? 'exp_01JZZZZZZZZZZZZZZZZZZZZZZZ' : UNKNOWN_ID).replace('{eventId}', 'evt_01JZZZZZZZZZZZZZZZZZZZZZZZ');
        for (const headers of headersList) {
          const res = await fetch(stack.apiUrl + path, { method: r.method, headers: { ...headers, 'content-type': 'application/json' }, body: r.body ? '{}' : undefined });
          expect(res.status, `${r.method} ${path} ${JSON.stringify(headers)}`).toBe(401);
          expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: expect.stringMatching(/API key/) } });
        }
      }
      expect((await fetch(`${stack.apiUrl}/health`)).status).toBe(200);
    });

    it('never answers 500 for junk in the query string', async () => {
      for (const query of ['?limit=%ZZ', '?status=%00', '?cursor=%E0%A4%A', '?limit=1&limit=2', '?' + 'a=1&'.repeat(500)]) {
        const res = await api.get(`/v1/webhooks${query}`);
        expect([200, 422], query).toContain(res.status);
      }
    });
  });

  describe('URL safety at registration (loopback allowed here, like the local stack)', () => {
    const blocked = [
      ['decimal IPv4 (10.0.0.1)', 'http://167772161/'],
      ['hex IPv4 (169.254.169.254)', 'http://0xa9fea9fe/'],
      ['octal IPv4 (169.254.169.254)', 'http://0251.0376.0251.0376/'],
      ['short IPv4 (10.0.0.1)', 'http://10.1/'],
      ['private IPv4 with a port', 'http://192.168.1.1:8080/hooks'],
      ['CGNAT', 'http://100.64.0.1/'],
      ['unspecified', 'http://0.0.0.0/'],
      ['multicast', 'http://224.0.0.1/'],
      ['cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
      ['bracketed IPv6 (unique local)', 'http://[fd00::1]/'],
      ['bracketed IPv6 (link-local)', 'http://[fe80::1]/'],
      ['IPv4-mapped IPv6', 'http://[::ffff:10.0.0.1]/'],
      ['IPv4-mapped metadata, hex', 'http://[::ffff:a9fe:a9fe]/'],
      ['NAT64 of metadata', 'http://[64:ff9b::a9fe:a9fe]/'],
      ['*.internal', 'https://metadata.google.internal/'],
      ['*.local', 'https://printer.local/'],
      ['a single-label name', 'https://printer/'],
    ];
    it.each(blocked)('refuses %s with 422 blocked_address before any request', async (_name, url) => {
      const res = await api.post('/v1/webhooks', { ...valid, url });
      expectError(res, { status: 422, code: 'blocked_address', paths: ['url'] });
      expect(res.body.error.details[0].message).toBe(res.body.error.message);
    });

    const invalid = [
      ['not a URL', 'hooks.example.com/lms'],
      ['a relative URL', '/hooks'],
      ['a scheme other than http(s)', 'ftp://hooks.example.com/'],
      ['javascript:', 'javascript:alert(1)'],
      ['user and password', 'https://user:secret@hooks.example.com/'],
      ['a user only', 'https://user@hooks.example.com/'],
      ['a fragment', 'https://hooks.example.com/#x'],
      ['whitespace', 'https://hooks.example.com/a b'],
      ['over 2048 characters', `https://hooks.example.com/${'a'.repeat(2048)}`],
    ];
    it.each(invalid)('refuses %s with 422 invalid_request naming url', async (_name, url) => {
      expectError(await api.post('/v1/webhooks', { ...valid, url }), { status: 422, code: 'invalid_request', paths: ['url'] });
    });

    it('accepts loopback and public names here, and never contacted any refused address', async () => {
      for (const url of [`${receiver.url}/ok`, `http://localhost:${receiver.port}/ok`, 'https://hooks.example.com/lms']) {
        expect((await api.post('/v1/webhooks', { ...valid, url })).status, url).toBe(201);
      }
      expect(receiver.received).toEqual([]);
    });
  });
});
