import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import {
  MalformedJson,
  MethodNotAllowed,
  NotFound,
  PayloadTooLarge,
  Unauthorized,
  UnsupportedMediaType,
  InvalidRequest,
} from '../../shared/errors';
import { json, zodDetails } from './errors';
import { ID_PATTERNS, routes, type Route } from './routes';
import type { Services } from './services';

/** Bodies over 64 KiB are refused before parsing. */
export const MAX_BODY_BYTES = 64 * 1024;

interface Compiled {
  route: Route;
  pattern: RegExp;
  names: string[];
}

const compiled: Compiled[] = routes.map((route) => {
  const names: string[] = [];
  const source = route.path.replace(/[.]/g, '\\.').replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}/?$`), names };
});

/** A 405 that names the methods the path does have (RFC 9110 wants them in `Allow`). */
export class MethodNotAllowedOn extends MethodNotAllowed {
  constructor(
    method: string,
    path: string,
    readonly allow: string[],
  ) {
    super(method, path);
  }
}

/** What an id path parameter names, for the 404 sentence and its pattern. */
function idKind(name: string, path: string): keyof typeof ID_PATTERNS {
  if (name === 'eventId') return 'event';
  return path.startsWith('/v1/exports/') ? 'export' : 'webhook';
}

function match(method: string, path: string): { route: Route; params: Record<string, string> } {
  const allow: string[] = [];
  for (const c of compiled) {
    const m = c.pattern.exec(path);
    if (!m) continue;
    if (c.route.method !== method) {
      allow.push(c.route.method);
      continue;
    }
    const params: Record<string, string> = {};
    for (const [i, name] of c.names.entries()) {
      const kind = idKind(name, path);
      let value: string;
      try {
        value = decodeURIComponent(m[i + 1]!);
      } catch {
        // A broken %-escape cannot name anything that exists.
        throw new NotFound(kind);
      }
      if (!ID_PATTERNS[kind].test(value)) throw new NotFound(kind);
      params[name] = value;
    }
    return { route: c.route, params };
  }
  if (allow.length) throw new MethodNotAllowedOn(method, path, allow);
  throw new NotFound('route');
}

function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  return event.headers?.[name] ?? Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];
}

function readBody(event: APIGatewayProxyEventV2, route: Route): unknown {
  const raw = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8')) : Buffer.alloc(0);
  if (raw.length > MAX_BODY_BYTES) throw new PayloadTooLarge(MAX_BODY_BYTES);
  if (!route.body) return undefined;
  if (raw.length === 0 || raw.toString('utf8').trim() === '') {
    if (route.bodyOptional) return undefined;
    throw new InvalidRequest('A JSON body is required.', [{ path: 'body', message: 'Send a JSON object.' }]);
  }
  const type = header(event, 'content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type.trim())) throw new UnsupportedMediaType();
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new MalformedJson();
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: 'body' | 'query'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // Query parameters are named bare (`limit`, `cursor`), like the body's fields.
  throw new InvalidRequest(`The request ${where} is not valid: see details.`, zodDetails(result.error));
}

/**
 * Routes one API Gateway v2 event: match, authenticate (tenant from the authorizer), read
 * and validate the body and query, run the use case, shape the response.
 */
export async function route(event: APIGatewayProxyEventV2, services: Services): Promise<APIGatewayProxyStructuredResultV2> {
  const method = event.requestContext.http.method.toUpperCase();
  const { route: r, params } = match(method, event.rawPath);
  let tenantId = '';
  if (r.auth) {
    const context = (event.requestContext as { authorizer?: { lambda?: { tenantId?: unknown; error?: unknown } } }).authorizer?.lambda;
    // Our failure, not the caller's: a 500 (logged), never a 401 that says the key is wrong.
    if (context?.error) throw new Error(`the authorizer could not check the API key (${String(context.error)})`);
    if (typeof context?.tenantId !== 'string' || context.tenantId === '') throw new Unauthorized();
    tenantId = context.tenantId;
  }
  const rawBody = readBody(event, r);
  const body = r.body && rawBody !== undefined ? parse(r.body, rawBody, 'body') : undefined;
  const query = r.query ? parse(r.query, event.queryStringParameters ?? {}, 'query') : undefined;
  const result = await r.handle({ tenantId, params, body, query, services });
  return json(result.status, result.body);
}
