import * as z from 'zod';
import { errorBodySchema } from './errors';
import type { Route } from './routes';

type Json = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete out.$schema;
  return out;
}

const ERROR_TEXT: Record<number, string> = {
  400: 'malformed_json: the body is not JSON.',
  401: 'unauthorized: no or an unknown API key.',
  404: 'not_found: absent, or another tenant\'s.',
  409: 'A state conflict: archived, validation_required, not_archived, not_active, not_subscribed, conflict.',
  413: 'payload_too_large: the body is over 64 KiB.',
  415: 'unsupported_media_type: send application/json.',
  422: 'invalid_request (with details), blocked_address or validation_failed.',
  500: 'internal: nothing leaked; try again.',
};

/**
 * The OpenAPI 3.1 document, generated from the same route list and zod schemas that route
 * and validate requests: there is no hand-kept copy to drift.
 */
export function buildOpenApi(routes: Route[], version: string): Json {
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    const parameters: Json[] = [];
    for (const [, name] of r.path.matchAll(/\{(\w+)\}/g)) {
      parameters.push({ name, in: 'path', required: true, schema: { type: 'string' } });
    }
    if (r.query) {
      const q = schemaOf(r.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema, ...(schema.description ? { description: schema.description } : {}) });
      }
    }
    const errors = new Set([...(r.auth ? [401] : []), ...(r.body ? [400, 413, 415, 422] : []), ...(r.query ? [422] : []), ...(r.errors ?? []), 500]);
    const responses: Json = {
      [r.response.status]: {
        description: r.response.description,
        ...(r.response.schema ? { content: { 'application/json': { schema: schemaOf(r.response.schema, 'output') } } } : {}),
      },
    };
    for (const status of [...errors].sort()) {
      responses[status] = { description: ERROR_TEXT[status] ?? 'Error.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    const operation: Json = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      security: r.auth ? [{ apiKey: [] }] : [],
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: !r.bodyOptional, content: { 'application/json': { schema: schemaOf(r.body, 'input') } } } } : {}),
      responses,
    };
    paths[r.path] = { ...(paths[r.path] ?? {}), [r.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'LMS Webhooks API',
      version,
      description: 'Manage the webhooks that receive LMS events (assignments, content, badges, workshops) as signed JSON.',
    },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <api key>' } },
      schemas: { Error: schemaOf(errorBodySchema, 'output') },
    },
    paths,
  };
}
