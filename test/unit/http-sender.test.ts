// Real receivers on 127.0.0.1 only. Host names are always answered by an
// injected resolver, so no test does a DNS lookup or leaves this machine.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createSender, type Resolver, type Sender, type SenderOptions } from '../../shared/delivery/http-sender';

// A throwaway self-signed certificate for 127.0.0.1 / localhost, used only to
// prove that certificate verification stays on. Not a secret.
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsXpV15Ql98v1ftfs
KyW3qcrvWKZmpN7VfnduNuG/4zChRANCAAQIhsakxRWhOHeHdEQ7i2dA9uttda+S
oJaUZ3+5eWvjT+qXestlMVh5Aq0daM8mAoKbRrjoD97LioV9uWazJY1h
-----END PRIVATE KEY-----`;
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBsTCCAVegAwIBAgIUR/b5spXHB0cQ0XRfTrVbwOumdGgwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwNDE0NDY0MFoYDzIxMjYxMTEw
MTQ0NjQwWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQIhsakxRWhOHeHdEQ7i2dA9uttda+SoJaUZ3+5eWvjT+qXestlMVh5
Aq0daM8mAoKbRrjoD97LioV9uWazJY1ho4GEMIGBMB0GA1UdDgQWBBQAy/opWpTd
VkIfHGqU9thFMRy3+jAfBgNVHSMEGDAWgBQAy/opWpTdVkIfHGqU9thFMRy3+jAP
BgNVHRMBAf8EBTADAQH/MC4GA1UdEQQnMCWCCWxvY2FsaG9zdIISaG9va3MuZXhh
bXBsZS50ZXN0hwR/AAABMAoGCCqGSM49BAMCA0gAMEUCICrYTsXy4Pha2dSxj2FU
3+5xysUdiQHLBga8QV5pLDvoAiEAnjbf3e0IYmKhKEhFb5QfEJqWW4JLnsQOuENp
G7DVyRw=
-----END CERTIFICATE-----`;

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface Receiver {
  url: string;
  port: number;
  connections: number;
  requests: Received[];
}

const servers: Server[] = [];
const senders: Sender[] = [];

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A receiver whose handler sees the request after its body has been read. */
async function receiver(
  handler: (req: IncomingMessage, res: ServerResponse, received: Received) => void,
  tls = false,
): Promise<Receiver> {
  const state = { connections: 0, requests: [] as Received[] };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      state.requests.push(received);
      handler(req, res, received);
    });
  };
  const server = tls ? createHttpsServer({ key: TEST_KEY, cert: TEST_CERT }, onRequest) : createHttpServer(onRequest);
  server.on(tls ? 'secureConnection' : 'connection', () => {
    state.connections += 1;
  });
  const port = await listen(server);
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    get connections() {
      return state.connections;
    },
    requests: state.requests,
  };
}

function sender(overrides: Partial<SenderOptions> = {}): Sender {
  const s = createSender({
    connectTimeoutMs: 1_000,
    attemptTimeoutMs: 2_000,
    allowHttp: true,
    allowLoopback: true,
    // Any name a test forgets to answer fails loudly instead of reaching DNS.
    resolver: async (hostname) => {
      throw Object.assign(new Error(`unexpected lookup of ${hostname}`), { code: 'ENOTFOUND' });
    },
    ...overrides,
  });
  senders.push(s);
  return s;
}

const delivery = (url: string) => ({
  url,
  headers: { 'content-type': 'application/json', 'webhook-id': 'evt_1' },
  body: JSON.stringify({ id: 'evt_1', type: 'badge.awarded' }),
});

const answer = (...addresses: string[]): Resolver => vi.fn(async () => addresses.map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) })));

afterAll(async () => {
  await Promise.all(senders.map((s) => s.close()));
  for (const server of servers) server.closeAllConnections?.();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('createSender', () => {
  it('delivers a POST and reports a 2xx with an excerpt of the response', async () => {
    const target = await receiver((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks'));

    const result = await sender().send(delivery(`${target.url}/hook?x=1`));

    expect(result).toEqual({
      ok: true,
      statusCode: 200,
      durationMs: expect.any(Number),
      error: null,
      errorMessage: null,
      responseExcerpt: 'thanks',
      retryAfter: null,
    });
    expect(Number.isInteger(result.durationMs)).toBe(true);
    expect(target.requests).toHaveLength(1);
    expect(target.requests[0]).toMatchObject({
      method: 'POST',
      url: '/hook?x=1',
      body: '{"id":"evt_1","type":"badge.awarded"}',
      headers: { 'content-type': 'application/json', 'webhook-id': 'evt_1' },
    });
  });

  it('reports another status as http_status, keeping code and body', async () => {
    const target = await receiver((_req, res) => res.writeHead(500).end('boom'));

    const result = await sender().send(delivery(target.url));

    expect(result).toMatchObject({ ok: false, statusCode: 500, error: 'http_status', responseExcerpt: 'boom' });
    expect(result.errorMessage).toContain('500');
  });

  it('surfaces Retry-After on a 429', async () => {
    const target = await receiver((_req, res) => res.writeHead(429, { 'retry-after': '120' }).end());

    const result = await sender().send(delivery(target.url));

    expect(result).toMatchObject({ ok: false, statusCode: 429, error: 'http_status', retryAfter: '120' });
  });

  it('never follows a redirect', async () => {
    const elsewhere = await receiver((_req, res) => res.writeHead(200).end());
    const target = await receiver((_req, res) => res.writeHead(302, { location: `${elsewhere.url}/stolen` }).end());

    const result = await sender().send(delivery(target.url));

    expect(result).toMatchObject({ ok: false, statusCode: 302, error: 'redirect' });
    expect(result.errorMessage).toContain(`${elsewhere.url}/stolen`);
    expect(elsewhere.requests).toHaveLength(0);
    expect(elsewhere.connections).toBe(0);
  });

  it('gives up on a slow receiver after attemptTimeoutMs', async () => {
    const target = await receiver((_req, res) => {
      setTimeout(() => res.writeHead(200).end(), 5_000).unref();
    });

    const started = performance.now();
    const result = await sender({ attemptTimeoutMs: 300 }).send(delivery(target.url));

    expect(result).toMatchObject({ ok: false, statusCode: null, error: 'timeout' });
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(result.durationMs).toBeGreaterThanOrEqual(290);
  });

  it('counts a 2xx whose body does not finish in time as a timeout', async () => {
    const target = await receiver((_req, res) => {
      res.writeHead(200);
      res.write('partial');
      // ...and the rest never comes.
    });

    const result = await sender({ attemptTimeoutMs: 300 }).send(delivery(target.url));

    expect(result).toMatchObject({ ok: false, statusCode: 200, error: 'timeout', responseExcerpt: 'partial' });
  });

  it('reports a closed port as connection_refused', async () => {
    const probe = createHttpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));

    const result = await sender().send(delivery(`http://127.0.0.1:${port}/`));

    expect(result).toMatchObject({ ok: false, statusCode: null, error: 'connection_refused' });
  });

  it('reads an endless body only up to the cap, then hangs up', async () => {
    let socketClosed!: () => void;
    const closed = new Promise<void>((resolve) => (socketClosed = resolve));
    const chunk = Buffer.alloc(16 * 1024, 'x');
    const target = await receiver((req, res) => {
      req.socket.on('close', () => socketClosed());
      res.writeHead(200, { 'content-type': 'text/plain' });
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });

    const started = performance.now();
    const result = await sender().send(delivery(target.url));

    expect(result).toMatchObject({ ok: true, statusCode: 200, error: null });
    expect(Buffer.byteLength(result.responseExcerpt)).toBe(1024);
    expect(performance.now() - started).toBeLessThan(1_500);
    await expect(closed).resolves.toBeUndefined();
  });

  it('never cuts a multi-byte character in half in the excerpt', async () => {
    const target = await receiver((_req, res) => res.writeHead(200).end(`${'a'.repeat(1023)}€ and more`));

    const result = await sender().send(delivery(target.url));

    expect(result.responseExcerpt).toBe('a'.repeat(1023));
  });

  it('reuses one keep-alive connection across attempts', async () => {
    const target = await receiver((_req, res) => res.writeHead(204).end());
    const s = sender();

    const first = await s.send(delivery(target.url));
    // The agent returns the socket to the pool a moment after the body ends.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await s.send(delivery(target.url));

    expect([first.ok, second.ok]).toEqual([true, true]);
    expect(target.connections).toBe(1);
  });

  it('keeps TLS verification on', async () => {
    const target = await receiver((_req, res) => res.writeHead(200).end(), true);

    const result = await sender({ allowHttp: false }).send(delivery(`${target.url}/`));

    expect(result).toMatchObject({ ok: false, statusCode: null, error: 'tls' });
    expect(target.requests).toHaveLength(0);
  });

  it('refuses a URL that fails the URL policy without connecting', async () => {
    const s = sender({ allowHttp: false, allowLoopback: false });

    expect(await s.send(delivery('ftp://hooks.example.com/'))).toMatchObject({ ok: false, error: 'invalid_url' });
    expect(await s.send(delivery('http://hooks.example.com/'))).toMatchObject({ ok: false, error: 'invalid_url' });
    expect(await s.send(delivery('https://169.254.169.254/'))).toMatchObject({ ok: false, error: 'blocked_address' });
    expect(await s.send(delivery('https://2130706433/'))).toMatchObject({ ok: false, error: 'blocked_address' });
  });

  describe('host names', () => {
    it('refuses a name that resolves to a blocked address, before connecting', async () => {
      const target = await receiver((_req, res) => res.writeHead(200).end());
      const resolver = answer('127.0.0.1');

      const result = await sender({ allowLoopback: false, resolver }).send(delivery(`http://hooks.example.test:${target.port}/`));

      expect(result).toMatchObject({ ok: false, statusCode: null, error: 'blocked_address' });
      expect(result.errorMessage).toContain('127.0.0.0/8');
      expect(resolver).toHaveBeenCalledWith('hooks.example.test');
      expect(target.connections).toBe(0);
    });

    it('connects to the checked address and keeps the original Host', async () => {
      const target = await receiver((_req, res) => res.writeHead(200).end('ok'));
      const resolver = answer('127.0.0.1');

      const result = await sender({ allowLoopback: true, resolver }).send(delivery(`http://hooks.example.test:${target.port}/in`));

      expect(result).toMatchObject({ ok: true, statusCode: 200, responseExcerpt: 'ok' });
      expect(resolver).toHaveBeenCalledTimes(1);
      expect(target.requests[0]?.headers.host).toBe(`hooks.example.test:${target.port}`);
    });

    it('resolves again on every attempt', async () => {
      const target = await receiver((_req, res) => res.writeHead(200).end());
      const resolver = answer('127.0.0.1');
      const s = sender({ resolver });

      await s.send(delivery(`http://hooks.example.test:${target.port}/`));
      await s.send(delivery(`http://hooks.example.test:${target.port}/`));

      expect(resolver).toHaveBeenCalledTimes(2);
    });

    it('refuses the attempt when any one answer is blocked', async () => {
      const target = await receiver((_req, res) => res.writeHead(200).end());

      const result = await sender({ allowLoopback: false, resolver: answer('93.184.216.34', '127.0.0.1') }).send(
        delivery(`http://hooks.example.test:${target.port}/`),
      );

      expect(result).toMatchObject({ ok: false, statusCode: null, error: 'blocked_address' });
      expect(target.connections).toBe(0);
    });

    it('reports a resolver failure as dns', async () => {
      const resolver: Resolver = async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND hooks.example.test'), { code: 'ENOTFOUND' });
      };

      const result = await sender({ resolver }).send(delivery('http://hooks.example.test/'));

      expect(result).toMatchObject({ ok: false, statusCode: null, error: 'dns' });
      expect(result.errorMessage).toContain('hooks.example.test');
    });

    it('reports an empty answer as dns', async () => {
      const result = await sender({ resolver: answer() }).send(delivery('http://hooks.example.test/'));

      expect(result).toMatchObject({ ok: false, error: 'dns' });
    });
  });
});
