import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildOpenApi } from '../../functions/http/openapi';
import { routes } from '../../functions/http/routes';

type Json = Record<string, any>;
const doc = buildOpenApi(routes, '9.9.9') as Json;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  return rest;
}

/** Every key anywhere in the document, with where it is and its value. */
function* keys(value: unknown, path = '#'): Generator<[string, string, unknown]> {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* keys(v, `${path}[${i}]`);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      yield [k, `${path} ${k}`, v];
      yield* keys(v, `${path} ${k}`);
    }
  }
}

function resolve(ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<any>((node, part) => node?.[part], doc);
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and survives JSON unchanged', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('9.9.9');
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('has no $schema keys inside, and every $ref resolves', () => {
    const all = [...keys(doc)];
    expect(all.filter(([k]) => k === '$schema').map(([, p]) => p)).toEqual([]);
    const refs = all.filter(([k]) => k === '$ref');
    expect(refs.length).toBeGreaterThan(0);
    for (const [, path, ref] of refs) expect(resolve(ref as string), `${path} -> ${String(ref)}`).toBeDefined();
  });

  it('lists exactly the routes of routes.ts, each under its method, with unique operation ids', () => {
    const documented = Object.entries(doc.paths as Json).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
    const ids = routes.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  describe.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', (_name, route) => {
    const op = doc.paths[route.path][route.method.toLowerCase()] as Json;

    it('has its operation id, summary, tag and security', () => {
      expect(op.operationId).toBe(route.operationId);
      expect(op.summary).toBe(route.summary);
      expect(op.tags).toEqual([route.tag]);
      expect(op.security).toEqual(route.auth ? [{ apiKey: [] }] : []);
    });

    it('declares its path parameters', () => {
      const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p: Json) => p.in === 'path').map((p: Json) => p.name);
      expect(declared).toEqual(names);
    });

    it('has the request schema of its body, from the same zod schema', () => {
      if (!route.body) {
        expect(op.requestBody).toBeUndefined();
        return;
      }
      expect(op.requestBody.required).toBe(!route.bodyOptional);
      expect(op.requestBody.content['application/json'].schema).toEqual(jsonSchema(route.body, 'input'));
    });

    it('has its query parameters, from the same zod schema', () => {
      const declared = (op.parameters ?? []).filter((p: Json) => p.in === 'query');
      if (!route.query) {
        expect(declared).toEqual([]);
        return;
      }
      const schema = jsonSchema(route.query, 'input');
      expect(declared.map((p: Json) => p.name)).toEqual(Object.keys(schema.properties));
      for (const p of declared) expect(p.schema).toEqual(schema.properties[p.name]);
    });

    it('has its success response with its schema', () => {
      const ok = op.responses[String(route.response.status)];
      expect(ok.description).toBe(route.response.description);
      expect(route.response.schema, 'every route documents its response body').toBeDefined();
      expect(ok.content['application/json'].schema).toEqual(jsonSchema(route.response.schema!, 'output'));
    });

    it('has its error responses, each with the contract error body', () => {
      const expected = new Set<number>([500]);
      if (route.auth) expected.add(401);
      if (route.body) [400, 413, 415, 422].forEach((s) => expected.add(s));
      if (route.query) expected.add(422);
      if (route.path.includes('{')) expected.add(404);
      for (const s of route.errors ?? []) expected.add(s);
      const errors = Object.keys(op.responses).filter((s) => s !== String(route.response.status));
      expect(errors.map(Number).sort()).toEqual([...expected].sort());
      for (const s of errors) {
        expect(op.responses[s].description).toMatch(/\w/);
        expect(op.responses[s].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
      }
    });
  });

  it('describes the error body of the contract', () => {
    const error = doc.components.schemas.Error;
    expect(error.required).toEqual(['error']);
    expect(error.properties.error.required).toEqual(['code', 'message']);
    expect(Object.keys(error.properties.error.properties)).toEqual(expect.arrayContaining(['code', 'message', 'details']));
  });

  it('carries the rules zod refinements cannot express', () => {
    const create = doc.paths['/v1/webhooks'].post.requestBody.content['application/json'].schema;
    expect(create.additionalProperties).toBe(false);
    expect(create.required).toEqual(['name', 'url', 'eventTypes']);
    expect(create.properties.eventTypes).toMatchObject({ minItems: 1, uniqueItems: true });
    expect(create.properties.url).toMatchObject({ maxLength: 2048, format: 'uri' });
    expect(create.properties.name).toMatchObject({ minLength: 1, maxLength: 100 });
    const patch = doc.paths['/v1/webhooks/{id}'].patch.requestBody.content['application/json'].schema;
    expect(patch).toMatchObject({ minProperties: 1, additionalProperties: false });
    expect(patch.required).toBeUndefined();
  });
});
