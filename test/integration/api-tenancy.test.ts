import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, type Route } from '../../functions/http/routes';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { documentClient } from '../../shared/aws/clients';
import { exampleData } from '../../shared/events/examples';
import { TenantRepository } from '../../shared/tenants/repository';
import { apiClient, eventually, publish, type ApiClient } from '../fixtures/api';
import { startReceiver, type Receiver } from '../fixtures/receiver';

/**
 * A valid body for each route that takes one, so that a 404 is about the tenant, not the
 * body. A URL here points at the test's own receiver: with A's key, an active webhook's new
 * URL is validated, and nothing may be sent anywhere but 127.0.0.1.
 */
const bodies = (receiverUrl: string): Record<string, unknown> => ({
  updateWebhook: { name: 'Hijacked', url: `${receiverUrl}/hijacked` },
  sendTestEvent: { eventType: 'badge.awarded' },
  exportLogs: {},
  recoverFailed: { since: new Date(Date.now() - 3600_000).toISOString() },
});

/** Routes without ids: what another tenant may see there is checked one by one. */
const WITHOUT_IDS = ['health', 'listEventTypes', 'openapi', 'createWebhook', 'listWebhooks'];

/**
 * Every route with an id, called with tenant A's ids and tenant B's key, answers 404 exactly
 * like an id that does not exist, and changes nothing of A's. The tenant comes from the
 * authorizer, never from the body, path or query.
 */
describe('tenant isolation on every route', () => {
  let stack: LocalStack;
  let a: ApiClient;
  let b: ApiClient;
  let receiver: Receiver;
  const ids: { webhook: string; export: string; event: string } = { webhook: '', export: '', event: '' };
  let before: { webhook: unknown; logs: unknown; secret: string };
  let BODIES: Record<string, unknown> = {};

  const pathFor = (r: Route) =>
    r.path.replace('{id}', r.path.startsWith('/v1/exports/') ? ids.export : ids.webhook).replace('{eventId}', ids.event);

  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, awsPort: 0, apiKey: 'tenant-a-key-000001', allowLoopback: true, config: { webhookCacheTtlMs: '0' } });
    receiver = await startReceiver();
    BODIES = bodies(receiver.url);
    a = apiClient(stack.apiUrl, stack.apiKey);
    b = apiClient(stack.apiUrl, (await new TenantRepository(documentClient(), stack.provisioned.names.table).createKey('globex')).key);

    const created = await a.post('/v1/webhooks', { name: "A's webhook", url: receiver.url, eventTypes: ['badge.awarded'] });
    ids.webhook = created.body.id;
    await a.post(`/v1/webhooks/${ids.webhook}/validate`);
    expect((await a.post(`/v1/webhooks/${ids.webhook}/activate`)).status).toBe(200);
    await publish(stack.endpoint, stack.provisioned.names.eventBus, [{ type: 'badge.awarded', detail: { tenantId: 'local', data: exampleData('badge.awarded') } }]);
    await receiver.waitFor(2);
    ids.event = receiver.received[1]!.headers['webhook-id'] as string;
    await eventually(async () => (await a.get(`/v1/webhooks/${ids.webhook}/logs`)).body.items.some((r: { kind: string }) => r.kind === 'delivery'));
    const exported = await a.post(`/v1/webhooks/${ids.webhook}/logs/export`, {});
    expect(exported.status).toBe(202);
    ids.export = exported.body.id;
    await eventually(async () => (await a.get(`/v1/exports/${ids.export}`)).body.status === 'ready');
    await stack.idle();

    before = {
      webhook: (await a.get(`/v1/webhooks/${ids.webhook}`)).body,
      logs: (await a.get(`/v1/webhooks/${ids.webhook}/logs`)).body,
      secret: (await a.get(`/v1/webhooks/${ids.webhook}/secret`)).body.secret,
    };
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  it('classifies every route of routes.ts', () => {
    expect(Object.keys(BODIES)).toEqual(expect.arrayContaining(Object.keys(bodies('http://127.0.0.1:1'))));
    for (const r of routes) {
      if (r.path.includes('{')) {
        if (r.body) expect(BODIES, `a body for ${r.operationId}`).toHaveProperty(r.operationId);
      } else {
        expect(WITHOUT_IDS, `${r.method} ${r.path} has no id: say what another tenant sees there`).toContain(r.operationId);
      }
    }
  });

  const withIds = routes.filter((r) => r.path.includes('{'));
  it.each(withIds.map((r) => [`${r.method} ${r.path}`, r] as const))("%s with A's ids and B's key answers 404 not_found", async (_name, r) => {
    const res = await b.call(r.method, pathFor(r), r.body ? (BODIES[r.operationId] ?? {}) : undefined);
    expect(res.status, res.text).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    // Exactly as an id that does not exist.
    const unknown = await b.call(r.method, pathFor(r).replace(/(wh|exp|evt)_[0-9A-Z]{26}/g, (id) => `${id.split('_')[0]}_01JZZZZZZZZZZZZZZZZZZZZZZZ`), r.body ? (BODIES[r.operationId] ?? {}) : undefined);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(res.body);
  });

  it("left A's webhook, secret, logs and export as they were, and sent A's receiver nothing", async () => {
    await stack.idle();
    expect((await a.get(`/v1/webhooks/${ids.webhook}`)).body).toEqual(before.webhook);
    expect((await a.get(`/v1/webhooks/${ids.webhook}/secret`)).body.secret).toBe(before.secret);
    expect((await a.get(`/v1/webhooks/${ids.webhook}/logs`)).body).toEqual(before.logs);
    expect((await a.get(`/v1/exports/${ids.export}`)).body).toMatchObject({ id: ids.export, status: 'ready', webhookId: ids.webhook });
    expect(receiver.received).toHaveLength(2); // the validation and the one delivery
  });

  it("shows B none of A's webhooks, whatever the query says, and B's create lands in B", async () => {
    for (const query of ['', '?status=active', '?status=archived', '?tenantId=local', '?limit=100']) {
      expect((await b.get(`/v1/webhooks${query}`)).body.items, query).toEqual([]);
    }
    const res = await b.post('/v1/webhooks', { name: "B's", url: 'https://hooks.example.com/b', eventTypes: ['badge.awarded'] });
    expect(res.status).toBe(201);
    expect((await b.get('/v1/webhooks')).body.items.map((w: { id: string }) => w.id)).toEqual([res.body.id]);
    expect((await a.get('/v1/webhooks')).body.items.map((w: { id: string }) => w.id)).toEqual([ids.webhook]);
    expect((await a.get(`/v1/webhooks/${res.body.id}`)).status).toBe(404);
    // A tenant id in the body is refused, not used.
    const forged = await b.post('/v1/webhooks', { name: 'Forged', url: 'https://hooks.example.com/f', eventTypes: ['badge.awarded'], tenantId: 'local' });
    expect(forged.status).toBe(422);
    expect(forged.body.error.details).toEqual([{ path: 'tenantId', message: expect.stringMatching(/read-only/) }]);
  });

  it('serves the catalog, the OpenAPI document and /health alike to every tenant', async () => {
    for (const path of ['/v1/event-types', '/v1/openapi.json']) {
      const [ra, rb] = await Promise.all([a.get(path), b.get(path)]);
      expect(rb.status).toBe(200);
      expect(rb.body).toEqual(ra.body);
    }
    expect((await fetch(`${stack.apiUrl}/health`)).status).toBe(200);
    const doc = (await a.get('/v1/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([...new Set(routes.map((r) => r.path))].sort());
  });

  it("with A's own key the same calls are not 404 (the ids are real)", async () => {
    const count = receiver.received.length;
    for (const r of withIds) {
      const res = await a.call(r.method, pathFor(r), r.body ? (BODIES[r.operationId] ?? {}) : undefined);
      expect(res.status, `${r.method} ${r.path}: ${res.text}`).not.toBe(404);
      expect(res.status).toBeLessThan(500);
    }
    // Only the local receiver was contacted: the URL change's validation and the test send at least.
    expect(receiver.received.length).toBeGreaterThan(count);
    expect(receiver.received.slice(count).some((r) => r.path === '/hijacked')).toBe(true);
  });
});
