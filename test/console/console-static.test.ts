import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../infra/local/http-adapter';
import { consoleStatic } from '../../infra/local/console-static';

/**
 * The local stack's static fallback, behind the real local API gateway adapter, on a
 * fixture build (so the test does not depend on `npm run build`).
 */
let root: string;
let server: ApiServer;
let unbuilt: ApiServer;
const secretOutside = 'outside-the-root';

function get(base: string, path: string, init: { method?: string; headers?: Record<string, string> } = {}) {
  // node:http, not fetch: fetch would normalise `..` out of the path before sending it.
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const url = new URL(base);
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const parent = mkdtempSync(join(tmpdir(), 'console-static-'));
  root = join(parent, 'dist');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(root, 'assets', 'index-abc123.css'), 'body{}');
  writeFileSync(join(root, 'assets', 'logo.svg'), '<svg/>');
  writeFileSync(join(parent, 'secret.txt'), secretOutside);
  const api = async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"api":true}' });
  const authorizer = async () => ({ isAuthorized: true });
  server = await startApiServer({ port: 0, api, authorizer, authorizerCacheTtlSeconds: 0, identityHeader: null, fallback: consoleStatic({ root }) });
  unbuilt = await startApiServer({ port: 0, api, authorizer, authorizerCacheTtlSeconds: 0, identityHeader: null, fallback: consoleStatic({ root: join(parent, 'missing') }) });
});
afterAll(async () => {
  await server?.close();
  await unbuilt?.close();
  if (root) rmSync(join(root, '..'), { recursive: true, force: true });
});

describe('the console static fallback', () => {
  it('serves files with their content types and caches only hashed assets for long', async () => {
    const js = await get(server.url, '/assets/index-abc123.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe('console.log(1)');
    expect((await get(server.url, '/assets/index-abc123.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await get(server.url, '/assets/logo.svg')).headers['content-type']).toBe('image/svg+xml');

    const index = await get(server.url, '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-security-policy']).toMatch(/default-src 'none'.*connect-src 'self'/);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['x-frame-options']).toBe('DENY');
  });

  it('answers app paths with index.html, and a missing file with a 404', async () => {
    for (const path of ['/webhooks', '/webhooks/wh_01JEXAMPLE0000000000000000/edit', '/webhooks/archived?x=1']) {
      const res = await get(server.url, path);
      expect(res.status, path).toBe(200);
      expect(res.body).toContain('<title>console</title>');
    }
    expect((await get(server.url, '/assets/missing.js')).status).toBe(404);
    expect((await get(server.url, '/favicon.ico')).status).toBe(404);
  });

  it('leaves /v1 and /health to the API', async () => {
    const res = await get(server.url, '/v1/webhooks');
    expect(res.body).toBe('{"api":true}');
  });

  it('never serves a file outside its root, however the path is spelled', async () => {
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/..%5csecret.txt', '/%00index.html', '/%E0%A4%A']) {
      const res = await get(server.url, path);
      expect(res.body, path).not.toContain(secretOutside);
      expect(res.status, path).toBe(400);
    }
  });

  it('answers HEAD without a body, revalidates with the ETag, and refuses other methods', async () => {
    const head = await get(server.url, '/assets/index-abc123.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String('console.log(1)'.length));
    const again = await get(server.url, '/assets/index-abc123.js', { headers: { 'if-none-match': String(head.headers.etag) } });
    expect(again.status).toBe(304);
    expect((await get(server.url, '/', { method: 'POST' })).status).toBe(404);
  });

  it('says how to build the console when it is not built', async () => {
    const res = await get(unbuilt.url, '/webhooks');
    expect(res.status).toBe(503);
    expect(res.body).toMatch(/npm run build/);
  });
});
