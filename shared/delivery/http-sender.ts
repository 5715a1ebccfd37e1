import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import { classifyAddress, type AddressPolicy } from './address-policy';
import { checkWebhookUrl } from './url-policy';

export type SendError =
  | 'timeout'
  | 'connection_refused'
  | 'dns'
  | 'blocked_address'
  | 'tls'
  | 'http_status'
  | 'redirect'
  | 'network'
  | 'invalid_url';

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: SendError | null;
  errorMessage: string | null;
  responseExcerpt: string;
  retryAfter: string | null;
}

export type Resolver = (hostname: string) => Promise<{ address: string; family: 4 | 6 }[]>;

export interface SenderOptions {
  connectTimeoutMs: number;
  attemptTimeoutMs: number;
  /** Most of a response body ever read; the rest is cut off. Default 65536. */
  maxResponseBytes?: number;
  /** Bytes of the body kept as `responseExcerpt`. Default 1024 (the contract's 1 KiB). */
  excerptBytes?: number;
  allowHttp: boolean;
  allowLoopback: boolean;
  /** Default: the system resolver (`dns.lookup`, all addresses). Tests inject one. */
  resolver?: Resolver;
}

export interface Sender {
  send(req: SendRequest): Promise<SendResult>;
  close(): Promise<void>;
}

type ResolvedAddress = { address: string; family: 4 | 6 };

const systemResolver: Resolver = async (hostname) => {
  const answers = await dnsLookup(hostname, { all: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

// Enough parallel sockets per receiver for a full batch of concurrent records;
// more would only queue inside the agent (still bounded by the attempt timeout).
const MAX_SOCKETS_PER_ORIGIN = 50;
// Idle pooled sockets are dropped after this, before the common 5 s server
// keep-alive timeout, so a send rarely picks a socket the receiver just closed.
const IDLE_SOCKET_MS = 4_000;

function wantedFamily(family: LookupOptions['family']): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}

/**
 * A `dns.lookup` stand-in for the sockets of one attempt that answers only
 * with the addresses this attempt checked. It never asks DNS itself: a second
 * resolution here could answer differently (DNS rebinding) and reach an address
 * nobody checked. Node calls it with `all: true` when it races address families.
 */
function pinnedLookup(hostname: string, addresses: ResolvedAddress[]): LookupFunction {
  return (_name, options, callback) => {
    const family = wantedFamily(options.family);
    const candidates = addresses.filter((a) => family === 0 || a.family === family);
    const first = candidates[0];
    if (!first) {
      const err: NodeJS.ErrnoException = new Error(`No checked address for ${hostname}; it is not resolved outside a send.`);
      err.code = 'ENOTFOUND';
      callback(err, '');
      return;
    }
    if (options.all) {
      const all: LookupAddress[] = candidates.map((a) => ({ address: a.address, family: a.family }));
      callback(null, all);
    } else {
      callback(null, first.address, first.family);
    }
  };
}

function isIpLiteralHost(hostname: string): boolean {
  // URL.hostname brackets IPv6 and normalises every IPv4 spelling to dotted quads.
  return hostname.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname);
}

function errorCodes(err: unknown, depth = 0): string[] {
  if (depth > 4 || typeof err !== 'object' || err === null) return [];
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  const codes = typeof e.code === 'string' ? [e.code] : [];
  // Happy-eyeballs failures arrive as an AggregateError; aborts carry the reason in `cause`.
  const nested = [...(Array.isArray(e.errors) ? e.errors : []), e.cause];
  return codes.concat(nested.flatMap((n) => errorCodes(n, depth + 1)));
}

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']);
const TLS_PREFIXES = ['ERR_TLS', 'ERR_SSL', 'CERT_', 'UNABLE_TO_VERIFY', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED'];

function classifyError(err: unknown): SendError {
  const codes = errorCodes(err);
  if (codes.includes('ECONNREFUSED')) return 'connection_refused';
  if (codes.some((c) => DNS_CODES.has(c))) return 'dns';
  if (codes.some((c) => TIMEOUT_CODES.has(c))) return 'timeout';
  if (codes.some((c) => TLS_PREFIXES.some((p) => c.startsWith(p)))) return 'tls';
  return 'network';
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = errorCodes(err)[0];
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

const ERROR_SENTENCES: Record<SendError, string> = {
  timeout: 'The receiver did not answer in time',
  connection_refused: 'The receiver refused the connection',
  dns: 'The receiver host name could not be resolved',
  blocked_address: 'The receiver address is blocked',
  tls: 'The TLS handshake with the receiver failed',
  http_status: 'The receiver answered with an error status',
  redirect: 'The receiver answered with a redirect',
  network: 'The connection to the receiver failed',
  invalid_url: 'The URL is invalid',
};

/** Settles like `work`, or rejects once `signal` aborts, whichever comes first. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (error) => (signal.removeEventListener('abort', onAbort), reject(error)),
    );
  });
}

function headerValue(value: string | string[] | undefined): string | null {
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

/**
 * Reads at most `limit` bytes and then destroys the response, which closes the
 * socket: an endless or huge body costs at most `limit` bytes and no waiting.
 * A body that ends within the limit leaves the connection reusable.
 */
async function readCapped(body: IncomingMessage, limit: number) {
  const chunks: Buffer[] = [];
  let total = 0;
  let error: unknown = null;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const room = limit - total;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      total += Math.min(chunk.length, room);
      if (total >= limit) break;
    }
  } catch (err) {
    error = err;
  } finally {
    if (!body.readableEnded || !body.complete) body.destroy();
  }
  return { bytes: Buffer.concat(chunks, total), error };
}

/** UTF-8 text of the first `limit` bytes; `stream: true` drops a multi-byte character cut at the end. */
function excerpt(bytes: Buffer, limit: number): string {
  return new TextDecoder('utf-8').decode(bytes.subarray(0, limit), { stream: true });
}

interface Exchange {
  statusCode: number;
  headers: IncomingHttpHeaders;
  bytes: Buffer;
  /** Set when the body broke off (or the attempt ended) before it was complete. */
  error: unknown;
}

interface ExchangeOptions {
  url: URL;
  /** Checked answers for a host name; null for an IP literal, which Node connects to directly. */
  addresses: ResolvedAddress[] | null;
  headers: Record<string, string>;
  body: string;
  agents: { http: HttpAgent; https: HttpsAgent };
  connectTimeoutMs: number;
  maxResponseBytes: number;
  signal: AbortSignal;
}

function connectTimeoutError(ms: number): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`no connection to the receiver within ${ms} ms`);
  err.code = 'ETIMEDOUT';
  return err;
}

/**
 * One POST on the given agent. Rejects if no response head arrives (connect
 * failure, TLS failure, abort); otherwise resolves with the status, headers and
 * at most `maxResponseBytes` of the body, even when the body broke off.
 */
function exchange(opts: ExchangeOptions): Promise<Exchange> {
  const { url, signal } = opts;
  const secure = url.protocol === 'https:';
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const isIp = opts.addresses === null;

  // The caller's headers minus any Host/Content-Length of its own: these two describe
  // this request and must match the original URL and the body actually sent.
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(opts.headers)) {
    const lower = name.toLowerCase();
    if (lower !== 'host' && lower !== 'content-length') headers[name] = value;
  }
  headers.host = url.host;
  headers['content-length'] = String(Buffer.byteLength(opts.body));

  return new Promise<Exchange>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    let req: ClientRequest;
    let res: IncomingMessage | null = null;
    // Once the head is in, the body read owns the outcome: destroying the response
    // makes that read fail (and closes the socket) while the status is kept.
    const onAbort = () => (res ? res.destroy(signal.reason as Error) : req.destroy(signal.reason as Error));
    const done = () => signal.removeEventListener('abort', onAbort);

    const requestOptions = {
      protocol: url.protocol,
      host: hostname,
      port: url.port ? Number(url.port) : secure ? 443 : 80,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers,
      agent: secure ? opts.agents.https : opts.agents.http,
      // Redundant with the default, but immune to NODE_TLS_REJECT_UNAUTHORIZED=0.
      rejectUnauthorized: true,
      ...(isIp ? {} : { lookup: pinnedLookup(hostname, opts.addresses ?? []) }),
      // SNI and certificate checks use the original name; SNI must not carry an IP.
      ...(secure && !isIp ? { servername: hostname } : {}),
    };
    try {
      req = (secure ? httpsRequest : httpRequest)(requestOptions);
    } catch (err) {
      reject(err);
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });

    req.on('socket', (socket: Socket) => {
      // A pooled socket is already connected; only a new one has to connect in time.
      if (req.reusedSocket) return;
      const timer = setTimeout(() => req.destroy(connectTimeoutError(opts.connectTimeoutMs)), opts.connectTimeoutMs);
      const clear = () => clearTimeout(timer);
      socket.once(secure ? 'secureConnect' : 'connect', clear);
      socket.once('close', clear);
    });
    req.on('error', (err) => {
      if (res) return;
      done();
      reject(err);
    });
    req.on('response', (response) => {
      res = response;
      // Late socket errors after a cut-off are expected; readCapped already saw them.
      response.on('error', () => {});
      readCapped(response, opts.maxResponseBytes).then(({ bytes, error }) => {
        done();
        // A cut-off or failed body means the socket must not go back to the pool.
        if (error !== null || !response.complete) req.destroy();
        resolve({ statusCode: response.statusCode ?? 0, headers: response.headers, bytes, error });
      }, reject);
    });
    req.end(opts.body);
  });
}

/**
 * Creates the guarded HTTP sender that every outbound request goes through
 * (deliveries, validation and test sends).
 *
 * Each send re-checks the URL, resolves a host name once, refuses the attempt
 * if any answer is in a blocked range, and connects only to the checked
 * addresses (pinned through the request's lookup), so neither an old
 * registration nor a DNS change can reach an internal service. The Host header
 * and TLS server name stay the original host name, and TLS verification is
 * always on. Redirects are never followed. One keep-alive agent per protocol
 * is shared by all sends of this sender.
 *
 * `send` never throws for anything the receiver does: every outcome is a
 * {@link SendResult}.
 */
export function createSender(options: SenderOptions): Sender {
  const maxResponseBytes = options.maxResponseBytes ?? 65_536;
  const excerptBytes = Math.min(options.excerptBytes ?? 1024, maxResponseBytes);
  const resolver = options.resolver ?? systemResolver;
  const urlPolicy = { allowHttp: options.allowHttp, allowLoopback: options.allowLoopback };
  const addressPolicy: AddressPolicy = { allowLoopback: options.allowLoopback };

  const agentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS_PER_ORIGIN, scheduling: 'lifo' as const, timeout: IDLE_SOCKET_MS };
  const agents = { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) };

  async function send(req: SendRequest): Promise<SendResult> {
    const started = performance.now();
    const result = (
      fields: Partial<SendResult> & Pick<SendResult, 'ok' | 'error' | 'errorMessage'>,
    ): SendResult => ({
      statusCode: null,
      responseExcerpt: '',
      retryAfter: null,
      ...fields,
      durationMs: Math.round(performance.now() - started),
    });
    const failed = (error: SendError, message: string, fields: Partial<SendResult> = {}): SendResult =>
      result({ ok: false, error, errorMessage: message, ...fields });

    const check = checkWebhookUrl(req.url, urlPolicy);
    if (!check.ok) return failed(check.code === 'blocked_address' ? 'blocked_address' : 'invalid_url', check.message);
    const url = check.url;

    // The attempt timeout bounds everything from here, DNS included: a resolver that hangs
    // must not hold the worker past the attempt (the batch's other records wait for it).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`attempt exceeded ${options.attemptTimeoutMs} ms`));
    }, options.attemptTimeoutMs);
    const timeoutMessage = `The receiver did not answer within ${options.attemptTimeoutMs} ms.`;

    try {
      let addresses: ResolvedAddress[] | null = null;
      if (isIpLiteralHost(url.hostname)) {
        // The URL policy judged it already; checked again here so this file alone guarantees it.
        const verdict = classifyAddress(url.hostname, addressPolicy);
        if (verdict.blocked) {
          return failed('blocked_address', `${url.hostname} is in the blocked range ${verdict.range}; use a public address.`);
        }
      } else {
        let answers: ResolvedAddress[];
        try {
          answers = await untilAborted(resolver(url.hostname), controller.signal);
        } catch (err) {
          if (timedOut) return failed('timeout', `${url.hostname} was not resolved within ${options.attemptTimeoutMs} ms.`);
          return failed('dns', `${url.hostname} could not be resolved: ${describe(err)}.`);
        }
        if (!Array.isArray(answers) || answers.length === 0) {
          return failed('dns', `${url.hostname} resolved to no addresses.`);
        }
        // Every answer, not just the one we would use: the OS or a retry may pick another.
        for (const answer of answers) {
          const verdict = classifyAddress(answer.address, addressPolicy);
          if (verdict.blocked) {
            return failed(
              'blocked_address',
              `${url.hostname} resolves to ${answer.address}, which is in the blocked range ${verdict.range}; point the name at a public address.`,
            );
          }
        }
        addresses = answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
      }

      const response = await exchange({
        url,
        addresses,
        headers: req.headers,
        body: req.body,
        agents,
        connectTimeoutMs: options.connectTimeoutMs,
        maxResponseBytes,
        signal: controller.signal,
      });
      const statusCode = response.statusCode;
      const retryAfter = headerValue(response.headers['retry-after']);
      const fields = { statusCode, retryAfter, responseExcerpt: excerpt(response.bytes, excerptBytes) };

      if (statusCode >= 300 && statusCode < 400) {
        const location = headerValue(response.headers.location);
        return failed(
          'redirect',
          `The receiver answered ${statusCode}${location ? ` redirecting to ${location}` : ''}; redirects are not followed, so use the final URL.`,
          fields,
        );
      }
      if (statusCode < 200 || statusCode >= 300) {
        return failed('http_status', `The receiver answered with status ${statusCode}.`, fields);
      }
      // A 2xx only counts once the whole response arrived within the attempt.
      if (response.error !== null) {
        if (timedOut) return failed('timeout', timeoutMessage, fields);
        const error = classifyError(response.error);
        return failed(error, `${ERROR_SENTENCES[error]} while sending its response: ${describe(response.error)}.`, fields);
      }
      return result({ ok: true, error: null, errorMessage: null, ...fields });
    } catch (err) {
      if (timedOut) return failed('timeout', timeoutMessage);
      const error = classifyError(err);
      return failed(error, `${ERROR_SENTENCES[error]}: ${describe(err)}.`);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    send,
    async close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
