import { describe, expect, it } from 'vitest';
import { ApiError, createApi, toApiError } from '../../console/src/lib/api';

interface Seen {
  url: string;
  init: RequestInit;
}

function fakeFetch(status: number, body: unknown, seen: Seen[] = []) {
  return async (url: string, init: RequestInit = {}) => {
    seen.push({ url, init });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
}

describe('the console API client', () => {
  it('calls the same origin (relative /v1 URLs) with the key as a bearer token and JSON bodies', async () => {
    const seen: Seen[] = [];
    const api = createApi({ apiKey: 'local-dev-key', fetch: fakeFetch(200, { items: [], nextCursor: null }, seen) });
    await api.listWebhooks({ status: 'archived', cursor: 'abc/+=' });
    await api.startExport('wh_1', { outcome: 'failed', eventType: undefined });
    expect(seen[0]!.url).toBe('/v1/webhooks?status=archived&cursor=abc%2F%2B%3D');
    expect(seen[0]!.init.headers).toMatchObject({ authorization: 'Bearer local-dev-key' });
    expect(seen[0]!.init.credentials).toBe('omit');
    expect(seen[1]!.url).toBe('/v1/webhooks/wh_1/logs/export');
    expect(seen[1]!.init.method).toBe('POST');
    expect(seen[1]!.init.body).toBe('{"outcome":"failed"}');
    expect(seen[1]!.init.headers).toMatchObject({ 'content-type': 'application/json' });
  });

  it("throws the contract's error with its message, code, details and validation", async () => {
    const body = {
      error: {
        code: 'validation_failed',
        message: 'The new URL did not pass validation (status 500); the webhook keeps its old URL and stays active.',
        validation: { status: 'failed', url: 'https://x.example.com/', statusCode: 500, error: null, checkedAt: null },
      },
    };
    const api = createApi({ apiKey: 'k', fetch: fakeFetch(422, body) });
    const error = (await api.updateWebhook('wh_1', { url: 'https://x.example.com/' }).catch((e) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: 'validation_failed', message: body.error.message, validation: { statusCode: 500 } });

    const invalid = toApiError(422, { error: { code: 'invalid_request', message: 'The request is not valid: see details.', details: [{ path: 'url', message: 'Required.' }, { bad: 1 }] } });
    expect(invalid.details).toEqual([{ path: 'url', message: 'Required.' }]);
  });

  it('signs out on a 401 and explains bodies that are not the contract', async () => {
    let unauthorized = 0;
    const api = createApi({ apiKey: 'k', fetch: fakeFetch(401, { error: { code: 'unauthorized', message: 'A valid API key is required.' } }), onUnauthorized: () => unauthorized++ });
    await expect(api.getWebhook('wh_1')).rejects.toMatchObject({ code: 'unauthorized', message: 'A valid API key is required.' });
    expect(unauthorized).toBe(1);

    expect(toApiError(403, { message: 'Forbidden' }).message).toBe('The API answered 403: Forbidden.');
    expect(toApiError(502, undefined).message).toBe('The API answered 502 with an unexpected response.');
    const html = createApi({ apiKey: 'k', fetch: fakeFetch(200, '<!doctype html>') });
    await expect(html.getWebhook('wh_1')).rejects.toMatchObject({ code: 'bad_response' });
  });

  it('turns a network failure into a sentence', async () => {
    const api = createApi({ apiKey: 'k', fetch: async () => Promise.reject(new TypeError('Failed to fetch')) });
    await expect(api.listWebhooks()).rejects.toMatchObject({ status: 0, code: 'network', message: expect.stringMatching(/Could not reach the API \(Failed to fetch\)/) });
  });
});
