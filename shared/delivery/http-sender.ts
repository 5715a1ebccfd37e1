import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { Agent } from 'undici';
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

/**
 * The addresses each hostname was checked against, for the sockets the agent
 * opens while a send to that hostname is in flight. Entries are shared by
 * concurrent sends to one hostname (any checked answer is safe to use) and
 * dropped when the last of them finishes, so the map stays as small as the
 * set of hostnames being delivered to right now.
 */
class CheckedAddresses {
  private readonly entries = new Map<string, { addresses: ResolvedAddress[]; holders: number }>();

  hold(hostname: string, addresses: ResolvedAddress[]): () => void {
    const entry = this.entries.get(hostname);
    if (entry) {
      entry.addresses = addresses;
      entry.holders += 1;
    } else {
      this.entries.set(hostname, { addresses, holders: 1 });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const current = this.entries.get(hostname);
      if (!current) return;
      current.holders -= 1;
      if (current.holders <= 0) this.entries.delete(hostname);
    };
  }

  get(hostname: string): ResolvedAddress[] {
    return this.entries.get(hostname)?.addresses ?? [];
  }
}

function wantedFamily(family: LookupOptions['family']): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}

/**
 * A `dns.lookup` stand-in for the agent's sockets that answers only with
 * addresses the sender has already checked. It never asks DNS itself: a second
 * resolution here could answer differently (DNS rebinding) and reach an address
 * nobody checked.
 */
function pinnedLookup(checked: CheckedAddresses): LookupFunction {
  return (hostname, options, callback) => {
    const family = wantedFamily(options.family);
    const candidates = checked.get(hostname).filter((a) => family === 0 || a.family === family);
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
  // Happy-eyeballs failures arrive as an AggregateError, undici wraps some in `cause`.
  const nested = [...(Array.isArray(e.errors) ? e.errors : []), e.cause];
  return codes.concat(nested.flatMap((n) => errorCodes(n, depth + 1)));
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
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
 * Reads at most `limit` bytes and then destroys the stream, which closes the
 * socket: an endless or huge body costs at most `limit` bytes and no waiting.
 * A body that ends within the limit leaves the connection reusable.
 */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void; readableEnded?: boolean }, limit: number) {
  const chunks: Buffer[] = [];
  let total = 0;
  let error: unknown = null;
  try {
    for await (const chunk of body) {
      const room = limit - total;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      total += Math.min(chunk.length, room);
      if (total >= limit) break;
    }
  } catch (err) {
    error = err;
  } finally {
    if (!body.readableEnded) body.destroy();
  }
  return { bytes: Buffer.concat(chunks, total), error };
}

/** UTF-8 text of the first `limit` bytes; `stream: true` drops a multi-byte character cut at the end. */
function excerpt(bytes: Buffer, limit: number): string {
  return new TextDecoder('utf-8').decode(bytes.subarray(0, limit), { stream: true });
}

/**
 * Creates the guarded HTTP sender that every outbound request goes through
 * (deliveries, validation and test sends).
 *
 * Each send re-checks the URL, resolves a host name once, refuses the attempt
 * if any answer is in a blocked range, and connects only to the checked
 * addresses (pinned through the agent's lookup), so neither an old
 * registration nor a DNS change can reach an internal service. The Host header
 * and TLS server name stay the original host name, and TLS verification is
 * always on. Redirects are never followed. One keep-alive agent is shared by
 * all sends of this sender.
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
  const checked = new CheckedAddresses();

  const agent = new Agent({
    connect: { lookup: pinnedLookup(checked), timeout: options.connectTimeoutMs },
    connectTimeout: options.connectTimeoutMs,
    // Backstops only: the attempt's own AbortSignal is the real bound.
    headersTimeout: options.attemptTimeoutMs,
    bodyTimeout: options.attemptTimeoutMs,
  });

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

    let release = (): void => {};
    try {
      if (!isIpLiteralHost(url.hostname)) {
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
        release = checked.hold(url.hostname, answers);
      }

      const response = await agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: req.headers,
        body: req.body,
        signal: controller.signal,
      });
      const statusCode = response.statusCode;
      const retryAfter = headerValue(response.headers['retry-after']);
      const read = await readCapped(response.body, maxResponseBytes);
      const fields = { statusCode, retryAfter, responseExcerpt: excerpt(read.bytes, excerptBytes) };

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
      if (read.error !== null) {
        if (timedOut) return failed('timeout', timeoutMessage, fields);
        const error = classifyError(read.error);
        return failed(error, `${ERROR_SENTENCES[error]} while sending its response: ${describe(read.error)}.`, fields);
      }
      return result({ ok: true, error: null, errorMessage: null, ...fields });
    } catch (err) {
      if (timedOut) return failed('timeout', timeoutMessage);
      const error = classifyError(err);
      return failed(error, `${ERROR_SENTENCES[error]}: ${describe(err)}.`);
    } finally {
      clearTimeout(timer);
      release();
    }
  }

  return {
    send,
    async close() {
      await agent.close();
    },
  };
}
