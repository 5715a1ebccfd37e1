import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayEventRequestContextV2,
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyResultV2,
  APIGatewayRequestAuthorizerEventV2,
  Context,
} from 'aws-lambda';
import { createLambdaContext } from './sqs-poller';

/** The API function: payload format 2.0, with the Lambda authorizer's context on protected routes. */
export type ApiHandler = (
  event: APIGatewayProxyEventV2WithLambdaAuthorizer<Record<string, unknown>> | APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

/** A Lambda REQUEST authorizer with simple responses (`enableSimpleResponses`). */
export type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEventV2,
  context: Context,
) => Promise<{ isAuthorized: boolean; context?: Record<string, unknown> }>;

export interface ApiServerOptions {
  port: number;
  /** Interface to bind; loopback by default. */
  host?: string;
  api: ApiHandler;
  authorizer: AuthorizerHandler;
  /** Exact paths served without the authorizer. Default `['/health']`. */
  publicRoutes?: string[];
  /** How long a decision is cached per identity source, as API Gateway does; 0 disables the cache. */
  authorizerCacheTtlSeconds: number;
  /**
   * The authorizer's identity source header. `null` configures no identity source, as the
   * CDK stack does: API Gateway then calls the authorizer on every request (no gateway
   * cache), so a missing key reaches the api function, which answers the contract's 401.
   */
  identityHeader?: string | null;
  /** Handles paths outside `apiPrefixes` (later: the admin console); return false to fall through to 404. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** Path prefixes routed to the API. Default `['/v1', '/health']`. */
  apiPrefixes?: string[];
  /** API Gateway's payload limit (10 MiB); only lowered by tests. */
  maxBodyBytes?: number;
  log?: (line: string) => void;
}

export interface ApiServer {
  /** e.g. `http://127.0.0.1:3000` */
  url: string;
  port: number;
  /** Stops accepting, closes keep-alive connections and resolves once the server is closed. */
  close(): Promise<void>;
}

const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
const ACCOUNT_ID = '123456789012';
const REGION = 'us-east-1';
const API_ID = 'local';
/** API Gateway HTTP APIs give up on an integration after 30 s; handlers see that as their budget. */
const INTEGRATION_TIMEOUT_MS = 30_000;
const CLOSE_GRACE_MS = 500;
// Content types API Gateway passes as text; everything else arrives base64-encoded.
const TEXT_CONTENT_TYPE =
  /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|graphql)\b|application\/[^;]+\+(json|xml)\b)/i;

interface CachedDecision {
  expiresAt: number;
  isAuthorized: boolean;
  context: Record<string, unknown> | undefined;
}

/**
 * Serves the API function locally the way an API Gateway HTTP API does: the same event
 * (payload format 2.0), the same Lambda authorizer flow with its cache and its default
 * 401/403/413/500 bodies, and the same mapping of the function's result to the HTTP response.
 */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const host = opts.host ?? '127.0.0.1';
  const publicRoutes = new Set(opts.publicRoutes ?? ['/health']);
  const apiPrefixes = opts.apiPrefixes ?? ['/v1', '/health'];
  const maxBodyBytes = opts.maxBodyBytes ?? API_GATEWAY_MAX_BODY_BYTES;
  const log = opts.log ?? (() => {});
  const cache = new Map<string, CachedDecision>();

  const authorize = async (
    event: APIGatewayProxyEventV2,
    identity: string,
  ): Promise<{ isAuthorized: boolean; context: Record<string, unknown> | undefined }> => {
    const now = Date.now();
    const cached = identity ? cache.get(identity) : undefined;
    if (cached && cached.expiresAt > now) return cached;

    const authorizerEvent: APIGatewayRequestAuthorizerEventV2 = {
      version: '2.0',
      type: 'REQUEST',
      routeArn: `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:${API_ID}/${event.requestContext.stage}/${event.requestContext.http.method}${event.rawPath}`,
      identitySource: identity ? [identity] : [],
      routeKey: event.routeKey,
      rawPath: event.rawPath,
      rawQueryString: event.rawQueryString,
      cookies: event.cookies ?? [],
      headers: event.headers,
      ...(event.queryStringParameters ? { queryStringParameters: event.queryStringParameters } : {}),
      requestContext: event.requestContext,
    };
    const result = await opts.authorizer(authorizerEvent, lambdaContext('authorizer'));
    if (typeof result?.isAuthorized !== 'boolean') {
      throw new Error(`authorizer returned an invalid simple response: ${JSON.stringify(result)}`);
    }
    const decision = { isAuthorized: result.isAuthorized, context: result.context };
    if (opts.authorizerCacheTtlSeconds > 0 && identity) {
      cache.set(identity, { ...decision, expiresAt: now + opts.authorizerCacheTtlSeconds * 1000 });
    }
    return decision;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    if (!apiPrefixes.some((prefix) => rawPath === prefix || rawPath.startsWith(`${prefix}/`))) {
      if (opts.fallback && (await opts.fallback(req, res))) return;
      return sendMessage(res, 404, 'Not Found');
    }

    const body = await readBody(req, maxBodyBytes);
    if (body === 'too-large') {
      // Connection: close, because the rest of the oversized body is not worth reading.
      res.setHeader('connection', 'close');
      return sendMessage(res, 413, 'Request Entity Too Large');
    }

    const event = toApiGatewayEvent(req, body);
    res.setHeader('apigw-requestid', event.requestContext.requestId);

    let apiEvent: Parameters<ApiHandler>[0] = event;
    if (!publicRoutes.has(rawPath)) {
      const identityHeader = opts.identityHeader === undefined ? 'authorization' : opts.identityHeader;
      const identity = identityHeader === null ? '' : event.headers[identityHeader];
      // API Gateway rejects a request without its identity source before invoking the authorizer.
      if (identityHeader !== null && !identity) return sendMessage(res, 401, 'Unauthorized');
      let decision;
      try {
        decision = await authorize(event, identity ?? "");
      } catch (error) {
        log(`authorizer failed for ${event.requestContext.http.method} ${rawPath}: ${describe(error)}`);
        return sendMessage(res, 500, 'Internal Server Error');
      }
      if (!decision.isAuthorized) return sendMessage(res, 403, 'Forbidden');
      apiEvent = {
        ...event,
        requestContext: { ...event.requestContext, authorizer: { lambda: decision.context ?? {} } },
      };
    }

    let result: APIGatewayProxyResultV2;
    try {
      result = await opts.api(apiEvent, lambdaContext('api'));
    } catch (error) {
      log(`api failed for ${event.requestContext.http.method} ${rawPath}: ${describe(error)}`);
      return sendMessage(res, 500, 'Internal Server Error');
    }
    writeResult(res, result);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`local API gateway failed on ${req.method} ${req.url}: ${describe(error)}`);
      if (!res.headersSent) sendMessage(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Requests still running get a moment to finish before their sockets are cut.
        setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
      });
      return closing;
    },
  };
}

/**
 * Builds the payload format 2.0 event API Gateway would send for this request, for the
 * `$default` route unless told otherwise. Exported for tests and for other local front doors.
 */
export function toApiGatewayEvent(req: IncomingMessage, rawBody: Buffer, routeKey = '$default'): APIGatewayProxyEventV2 {
  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  const rawPath = queryStart === -1 ? url : url.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? '' : url.slice(queryStart + 1);

  // From rawHeaders rather than req.headers: Node joins some duplicates with ', ' or drops
  // them, API Gateway joins all of them with ','.
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? '').toLowerCase();
    const value = req.rawHeaders[i + 1] ?? '';
    if (name === 'cookie') {
      // Format 2.0 moves cookies out of the headers into their own array.
      cookies.push(...value.split(';').map((c) => c.trim()).filter(Boolean));
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }

  const queryStringParameters: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[key] = key in queryStringParameters ? `${queryStringParameters[key]},${value}` : value;
  }

  const now = new Date();
  const host = headers.host ?? 'localhost';
  const requestContext: APIGatewayEventRequestContextV2 = {
    accountId: ACCOUNT_ID,
    apiId: API_ID,
    domainName: host,
    domainPrefix: host.split('.')[0] ?? host,
    http: {
      method: req.method ?? 'GET',
      path: rawPath,
      protocol: `HTTP/${req.httpVersion}`,
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      userAgent: headers['user-agent'] ?? '',
    },
    requestId: randomUUID(),
    routeKey,
    stage: '$default',
    time: formatRequestTime(now),
    timeEpoch: now.getTime(),
  };

  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    headers,
    requestContext,
    isBase64Encoded: false,
  };
  if (cookies.length > 0) event.cookies = cookies;
  if (Object.keys(queryStringParameters).length > 0) event.queryStringParameters = queryStringParameters;
  if (rawBody.length > 0) {
    const isText = TEXT_CONTENT_TYPE.test(headers['content-type'] ?? '');
    event.body = rawBody.toString(isText ? 'utf8' : 'base64');
    event.isBase64Encoded = !isText;
  }
  return event;
}

/** Reads the body, giving up (without buffering the rest) once it exceeds the limit. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      return resolve('too-large');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!tooLarge) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** Maps the function's result to the response, by payload format 2.0's rules. */
function writeResult(res: ServerResponse, result: APIGatewayProxyResultV2): void {
  const structured =
    typeof result === 'object' && result !== null && 'statusCode' in result
      ? (result as Exclude<APIGatewayProxyResultV2, string>)
      : undefined;
  if (!structured) {
    // A bare string or an object without statusCode is the body of a 200 JSON response.
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  for (const [name, value] of Object.entries(structured.headers ?? {})) res.setHeader(name, String(value));
  if (structured.cookies?.length) res.setHeader('set-cookie', structured.cookies);
  const body = Buffer.from(structured.body ?? '', structured.isBase64Encoded ? 'base64' : 'utf8');
  res.setHeader('content-length', body.length);
  res.statusCode = structured.statusCode ?? 200;
  res.end(body);
}

/** API Gateway's own error body: `{"message": "..."}`. */
function sendMessage(res: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function lambdaContext(functionName: string): Context {
  return createLambdaContext({ functionName, timeoutMs: INTEGRATION_TIMEOUT_MS, region: REGION, accountId: ACCOUNT_ID });
}

/** `12/Mar/2020:19:03:58 +0000`, the format of `requestContext.time`. */
function formatRequestTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
}
