import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
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

function match(method: string, path: string): { route: Route; params: Record<string, string> } {
  let pathMatched = false;
  for (const c of compiled) {
    const m = c.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (c.route.method !== method) continue;
    const params: Record<string, string> = {};
    c.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1]!)));
    for (const [name, value] of Object.entries(params)) {
      if (ID_PATTERNS[name] && !ID_PATTERNS[name].test(value)) throw new NotFound(name === 'eventId' ? 'event' : path.startsWith('/v1/exports') ? 'export' : 'webhook');
    }
    return { route: c.route, params };
  }
  if (pathMatched) throw new MethodNotAllowed(method, path);
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
  const details = zodDetails(result.error, where === 'query' ? 'query' : undefined);
  throw new InvalidRequest(`The request ${where} is not valid: see details.`, details);
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
    const context = (event.requestContext as { authorizer?: { lambda?: { tenantId?: unknown } } }).authorizer?.lambda;
    if (typeof context?.tenantId !== 'string' || context.tenantId === '') throw new Unauthorized();
    tenantId = context.tenantId;
  }
  const rawBody = readBody(event, r);
  const body = r.body && rawBody !== undefined ? parse(r.body, rawBody, 'body') : undefined;
  const query = r.query ? parse(r.query, event.queryStringParameters ?? {}, 'query') : undefined;
  const result = await r.handle({ tenantId, params, body, query, services });
  return json(result.status, result.body);
}
