import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { routes } from '../../functions/http/routes';
import { freePort } from '../../infra/local/moto';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { exampleData } from '../../shared/events/examples';
import type { EventType } from '../../shared/events/types';
import { apiClient, publish, type ApiClient } from '../fixtures/api';
import { startReceiver, type Receiver } from '../fixtures/receiver';

/** The documented response schema of a route: every answer below is checked against it. */
function documented(operationId: string, body: unknown): any {
  const route = routes.find((r) => r.operationId === operationId)!;
  return route.response.schema!.parse(body);
}

const NO_RETRY = { maxAttempts: 1, backoffSeconds: [] };

/**
 * The management API's webhook lifecycle, edits, secrets and test sends, on the local stack
 * as curl would drive it, with real receivers and real EventBridge publishing.
 */
describe('webhooks API on the local stack', { timeout: 60_000 }, () => {
  let stack: LocalStack;
  let api: ApiClient;
  let receivers: Receiver[] = [];
  /** An active webhook on every event type: its delivery proves an event was fanned out. */
  let witness: { id: string; receiver: Receiver };

  const receiver = async (respond?: Parameters<typeof startReceiver>[0]) => {
    const r = await startReceiver(respond);
    receivers.push(r);
    return r;
  };

  async function create(r: Receiver, overrides: Record<string, unknown> = {}) {
    const res = await api.post('/v1/webhooks', { name: 'Sync', url: `${r.url}/hooks`, eventTypes: ['badge.awarded'], retryPolicy: NO_RETRY, ...overrides });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; secret: string; url: string; [k: string]: unknown };
  }

  async function activeWebhook(r: Receiver, overrides: Record<string, unknown> = {}) {
    const w = await create(r, overrides);
    expect((await api.post(`/v1/webhooks/${w.id}/validate`)).body.validation.status).toBe('succeeded');
    expect((await api.post(`/v1/webhooks/${w.id}/activate`)).status).toBe(200);
    return w;
  }

  /**
   * Publishes one event and waits until the witness got it and every queue is idle, so a
   * receiver that got nothing really was not sent anything. Returns the event's id.
   */
  async function publishAndSettle(type: EventType = 'badge.awarded'): Promise<string> {
    const before = witness.receiver.received.length;
    await publish(stack.endpoint, stack.provisioned.names.eventBus, [{ type, detail: { tenantId: 'local', data: exampleData(type) } }]);
    await witness.receiver.waitFor(before + 1);
    await stack.idle();
    // The event id receivers see (webhook-id), as the witness got it.
    return witness.receiver.received[before]!.headers['webhook-id'] as string;
  }

  const deliveries = (r: Receiver) => r.received.filter((x) => JSON.parse(x.body).type !== 'webhook.validation');

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      awsPort: 0,
      apiKey: 'webhooks-api-key-0001',
      allowLoopback: true,
      // Deliveries see a state change at once (no per-container webhook cache).
      config: { webhookCacheTtlMs: '0', attemptTimeoutMs: '2000', connectTimeoutMs: '1000' },
    });
    api = apiClient(stack.apiUrl, stack.apiKey);
    const r = await receiver();
    const w = await activeWebhook(r, { name: 'Witness', eventTypes: ['assignment.completed', 'content.completed', 'badge.awarded', 'workshop.attended'] });
    witness = { id: w.id, receiver: r };
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.stop();
  });

  describe('create and read', () => {
    it('creates an inactive, unvalidated webhook; only the create response and GET /secret carry the secret', async () => {
      const r = await receiver();
      const res = await api.post('/v1/webhooks', { name: '  Analytics sync ', url: `${r.url}/lms`, eventTypes: ['assignment.completed', 'badge.awarded'] });
      expect(res.status).toBe(201);
      const created = documented('createWebhook', res.body);
      expect(res.body).toMatchObject({
        name: 'Analytics sync',
        url: `${r.url}/lms`,
        eventTypes: ['assignment.completed', 'badge.awarded'],
        status: 'inactive',
        deactivatedReason: null,
        validation: { status: 'unvalidated', url: null, checkedAt: null, statusCode: null, error: null },
        retryPolicy: { maxAttempts: 8, backoffSeconds: [5, 300, 1800, 7200, 18000, 36000, 36000] },
      });
      expect(created.id).toMatch(/^wh_[0-9A-Z]{26}$/);
      expect(created.createdAt).toBe(created.updatedAt);
      expect(res.body.secret).toMatch(/^whsec_/);
      expect(r.received).toEqual([]); // creating sends nothing

      const got = await api.get(`/v1/webhooks/${created.id}`);
      expect(got.status).toBe(200);
      documented('getWebhook', got.body);
      expect(got.body).not.toHaveProperty('secret');
      const { secret: _s, ...view } = res.body;
      expect(got.body).toEqual(view);
      expect(JSON.stringify((await api.get('/v1/webhooks')).body)).not.toContain(res.body.secret);

      const secret = await api.get(`/v1/webhooks/${created.id}/secret`);
      expect(secret.status).toBe(200);
      expect(documented('getWebhookSecret', secret.body)).toEqual({ secret: res.body.secret });
    });
  });

  describe('lifecycle', () => {
    it('activates only after the current URL validated; deactivated keeps config, secret and logs; re-activating needs no new validation', async () => {
      const r = await receiver();
      const w = await create(r);

      const early = await api.post(`/v1/webhooks/${w.id}/activate`);
      expect(early.status).toBe(409);
      expect(early.body.error.code).toBe('validation_required');

      const validated = await api.post(`/v1/webhooks/${w.id}/validate`);
      expect(documented('validateWebhook', validated.body).validation).toMatchObject({ status: 'succeeded', url: w.url, statusCode: 200, error: null });
      const active = await api.post(`/v1/webhooks/${w.id}/activate`);
      expect(active.status).toBe(200);
      expect(documented('activateWebhook', active.body).status).toBe('active');

      const first = await publishAndSettle();
      expect(deliveries(r).map((x) => x.headers['webhook-id'])).toEqual([first]);
      expect(() => new StandardWebhook(w.secret).verify(deliveries(r)[0]!.body, deliveries(r)[0]!.headers as Record<string, string>)).not.toThrow();

      const deactivated = await api.post(`/v1/webhooks/${w.id}/deactivate`);
      expect(deactivated.status).toBe(200);
      const { status, updatedAt, ...config } = deactivated.body;
      const { status: _s2, updatedAt: _u2, ...activeConfig } = active.body;
      expect(status).toBe('inactive');
      expect(config).toEqual(activeConfig);
      expect((await api.get(`/v1/webhooks/${w.id}/secret`)).body.secret).toBe(w.secret);
      const logs = await api.get(`/v1/webhooks/${w.id}/logs`);
      expect(logs.body.items.map((x: { kind: string }) => x.kind)).toEqual(['delivery', 'validation']);
      // Deactivating twice is fine and changes nothing.
      expect((await api.post(`/v1/webhooks/${w.id}/deactivate`)).body).toEqual(deactivated.body);

      await publishAndSettle();
      expect(deliveries(r)).toHaveLength(1);

      const requestsBefore = r.received.length;
      const again = await api.post(`/v1/webhooks/${w.id}/activate`);
      expect(again.status).toBe(200);
      expect(again.body.status).toBe('active');
      expect(r.received.length).toBe(requestsBefore); // no new validation request

      const third = await publishAndSettle();
      expect(deliveries(r).map((x) => x.headers['webhook-id'])).toEqual([first, third]);
    });

    it('archives an active webhook (deactivating it), lists it only under ?status=archived, refuses changes, never fires; restore brings it back inactive', async () => {
      const r = await receiver();
      const w = await activeWebhook(r);

      const archived = await api.post(`/v1/webhooks/${w.id}/archive`);
      expect(archived.status).toBe(200);
      expect(documented('archiveWebhook', archived.body).status).toBe('archived');
      expect((await api.post(`/v1/webhooks/${w.id}/archive`)).body).toEqual(archived.body); // idempotent

      const ids = async (query = '') => (await api.get(`/v1/webhooks${query}`)).body.items.map((x: { id: string }) => x.id);
      expect(await ids()).not.toContain(w.id);
      expect(await ids('?status=active')).not.toContain(w.id);
      expect(await ids('?status=inactive')).not.toContain(w.id);
      expect(await ids('?status=archived')).toEqual([w.id]);

      const refused: [string, string, unknown?][] = [
        ['PATCH', `/v1/webhooks/${w.id}`, { name: 'Renamed' }],
        ['POST', `/v1/webhooks/${w.id}/activate`],
        ['POST', `/v1/webhooks/${w.id}/deactivate`],
        ['POST', `/v1/webhooks/${w.id}/validate`],
        ['POST', `/v1/webhooks/${w.id}/secret/rotate`],
        ['POST', `/v1/webhooks/${w.id}/test`, { eventType: 'badge.awarded' }],
      ];
      const requestsBefore = r.received.length;
      for (const [method, path, body] of refused) {
        const res = await api.call(method, path, body);
        expect(res.status, `${method} ${path}`).toBe(409);
        expect(res.body.error).toMatchObject({ code: 'archived', message: expect.stringMatching(/archived/) });
      }
      expect((await api.get(`/v1/webhooks/${w.id}`)).body).toEqual(archived.body);
      expect((await api.get(`/v1/webhooks/${w.id}/secret`)).body.secret).toBe(w.secret);

      await publishAndSettle();
      expect(r.received.length).toBe(requestsBefore);

      const restored = await api.post(`/v1/webhooks/${w.id}/restore`);
      expect(restored.status).toBe(200);
      expect(documented('restoreWebhook', restored.body)).toMatchObject({ status: 'inactive', url: w.url, validation: { status: 'succeeded' } });
      expect(await ids()).toContain(w.id);
      expect(await ids('?status=archived')).not.toContain(w.id);
      const twice = await api.post(`/v1/webhooks/${w.id}/restore`);
      expect(twice.status).toBe(409);
      expect(twice.body.error.code).toBe('not_archived');

      expect((await api.post(`/v1/webhooks/${w.id}/activate`)).body.status).toBe('active');
      const eventId = await publishAndSettle();
      expect(deliveries(r).map((x) => x.headers['webhook-id'])).toEqual([eventId]);
    });

    it('archives an inactive webhook too', async () => {
      const w = await create(await receiver());
      expect((await api.post(`/v1/webhooks/${w.id}/archive`)).body.status).toBe('archived');
      expect((await api.post(`/v1/webhooks/${w.id}/restore`)).body.status).toBe('inactive');
    });
  });

  describe('PATCH', () => {
    it('changes name, eventTypes and retryPolicy; a new URL on an inactive webhook resets validation', async () => {
      const r = await receiver();
      const w = await create(r);
      await api.post(`/v1/webhooks/${w.id}/validate`);

      const res = await api.patch(`/v1/webhooks/${w.id}`, { name: 'Renamed', eventTypes: ['content.completed'], retryPolicy: { maxAttempts: 3, backoffSeconds: [10, 20] } });
      expect(res.status).toBe(200);
      expect(documented('updateWebhook', res.body)).toMatchObject({
        name: 'Renamed',
        eventTypes: ['content.completed'],
        retryPolicy: { maxAttempts: 3, backoffSeconds: [10, 20] },
        url: w.url,
        validation: { status: 'succeeded', url: w.url },
      });
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(w.updatedAt as string));

      const other = await receiver();
      const moved = await api.patch(`/v1/webhooks/${w.id}`, { url: `${other.url}/moved` });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ status: 'inactive', url: `${other.url}/moved`, validation: { status: 'unvalidated', url: null } });
      expect(other.received).toEqual([]); // inactive: nothing is sent until /validate
      expect((await api.post(`/v1/webhooks/${w.id}/activate`)).body.error.code).toBe('validation_required');
    });

    it('validates a new URL of an active webhook first: on a 2xx it is saved, stays active, and deliveries go there', async () => {
      const oldReceiver = await receiver();
      const newReceiver = await receiver();
      const w = await activeWebhook(oldReceiver);

      const res = await api.patch(`/v1/webhooks/${w.id}`, { url: `${newReceiver.url}/new` });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'active', url: `${newReceiver.url}/new`, validation: { status: 'succeeded', url: `${newReceiver.url}/new`, statusCode: 200 } });
      expect(newReceiver.received.map((x) => JSON.parse(x.body).type)).toEqual(['webhook.validation']);
      expect(() => new StandardWebhook(w.secret).verify(newReceiver.received[0]!.body, newReceiver.received[0]!.headers as Record<string, string>)).not.toThrow();

      const eventId = await publishAndSettle();
      expect(deliveries(newReceiver).map((x) => x.headers['webhook-id'])).toEqual([eventId]);
      expect(deliveries(oldReceiver)).toEqual([]);
    });

    it('refuses a new URL that fails validation with 422 validation_failed, keeping the old URL, state and deliveries', async () => {
      const oldReceiver = await receiver();
      const failing = await receiver(() => ({ status: 500, body: 'nope' }));
      const w = await activeWebhook(oldReceiver, { name: 'Keeps going' });
      const before = (await api.get(`/v1/webhooks/${w.id}`)).body;

      const res = await api.patch(`/v1/webhooks/${w.id}`, { url: `${failing.url}/bad`, name: 'Should not stick' });
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({
        code: 'validation_failed',
        message: expect.stringMatching(/old URL/),
        validation: { status: 'failed', url: `${failing.url}/bad`, statusCode: 500 },
      });
      expect(failing.received).toHaveLength(1);
      expect((await api.get(`/v1/webhooks/${w.id}`)).body).toEqual(before);

      // Connection refused: no receiver at all on that port.
      const closed = `http://127.0.0.1:${await freePort()}/gone`;
      const refused = await api.patch(`/v1/webhooks/${w.id}`, { url: closed });
      expect(refused.status).toBe(422);
      expect(refused.body.error).toMatchObject({ code: 'validation_failed', validation: { status: 'failed', url: closed, statusCode: null, error: expect.any(String) } });
      expect((await api.get(`/v1/webhooks/${w.id}`)).body).toEqual(before);

      const eventId = await publishAndSettle();
      expect(deliveries(oldReceiver).map((x) => x.headers['webhook-id'])).toEqual([eventId]);
      const logs = (await api.get(`/v1/webhooks/${w.id}/logs`)).body.items as { kind: string; url: string; outcome: string }[];
      // The failed validations are logged, against the URL they tried.
      expect(logs.filter((l) => l.kind === 'validation' && l.outcome === 'failed').map((l) => l.url).sort()).toEqual([`${failing.url}/bad`, closed].sort());
    });

    it('re-runs validation any time with POST /validate; a failed re-validation leaves an active webhook active', async () => {
      let healthy = true;
      const r = await receiver(() => (healthy ? { status: 204 } : { status: 503 }));
      const w = await activeWebhook(r);
      healthy = false;
      const failed = await api.post(`/v1/webhooks/${w.id}/validate`);
      expect(failed.status).toBe(200);
      expect(failed.body).toMatchObject({ status: 'active', validation: { status: 'failed', statusCode: 503, url: w.url } });
      expect((await api.post(`/v1/webhooks/${w.id}/activate`)).body.status).toBe('active');
      healthy = true;
      const ok = await api.post(`/v1/webhooks/${w.id}/validate`);
      expect(ok.body.validation).toMatchObject({ status: 'succeeded', statusCode: 204 });
      expect(Date.parse(ok.body.validation.checkedAt)).toBeGreaterThanOrEqual(Date.parse(failed.body.validation.checkedAt));
    });
  });

  describe('secret rotation', () => {
    it('signs every delivery with the new and the old secret (both verify with standardwebhooks); GET /secret shows the new one', async () => {
      const r = await receiver();
      const w = await activeWebhook(r);
      const rotated = await api.post(`/v1/webhooks/${w.id}/secret/rotate`);
      expect(rotated.status).toBe(200);
      const { secret } = documented('rotateWebhookSecret', rotated.body);
      expect(secret).toMatch(/^whsec_/);
      expect(secret).not.toBe(w.secret);
      expect((await api.get(`/v1/webhooks/${w.id}/secret`)).body.secret).toBe(secret);

      await publishAndSettle();
      const [delivery] = deliveries(r);
      const headers = delivery!.headers as Record<string, string>;
      expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
      expect(() => new StandardWebhook(secret).verify(delivery!.body, headers)).not.toThrow();
      expect(() => new StandardWebhook(w.secret).verify(delivery!.body, headers)).not.toThrow();
      expect(() => new StandardWebhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(delivery!.body, headers)).toThrow();
    });
  });

  describe('test sends', () => {
    it("send the type's example now to an inactive webhook, marked test: true, return the attempt and log it as kind test", async () => {
      const r = await receiver();
      const w = await create(r, { eventTypes: ['badge.awarded'] });
      const res = await api.post(`/v1/webhooks/${w.id}/test`, { eventType: 'content.completed' });
      expect(res.status).toBe(200);
      const attempt = documented('sendTestEvent', res.body);
      expect(attempt).toMatchObject({ kind: 'test', eventType: 'content.completed', outcome: 'succeeded', statusCode: 200, attempt: 1, url: w.url, nextAttemptAt: null, responseExcerpt: 'ok' });

      expect(r.received).toHaveLength(1);
      const body = new StandardWebhook(w.secret).verify(r.received[0]!.body, r.received[0]!.headers as Record<string, string>);
      expect(body).toEqual({ id: attempt.eventId, type: 'content.completed', occurredAt: expect.any(String), tenantId: 'local', webhookId: w.id, data: exampleData('content.completed'), test: true });
      expect(r.received[0]!.headers['webhook-id']).toBe(attempt.eventId);

      const logs = await api.get(`/v1/webhooks/${w.id}/logs`);
      expect(logs.body.items).toEqual([expect.objectContaining({ id: attempt.id, kind: 'test', eventType: 'content.completed' })]);
      expect((await api.get(`/v1/webhooks/${w.id}`)).body.status).toBe('inactive');
    });

    it('answer 200 with a failed attempt when the receiver fails, and 422 for an unknown or missing event type', async () => {
      const r = await receiver(() => ({ status: 410, body: 'gone' }));
      const w = await create(r);
      const res = await api.post(`/v1/webhooks/${w.id}/test`, { eventType: 'badge.awarded' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ kind: 'test', outcome: 'failed', statusCode: 410, responseExcerpt: 'gone', nextAttemptAt: null });

      for (const body of [{ eventType: 'badge.revoked' }, {}, { eventType: 'webhook.validation' }, { eventType: 'badge.awarded', extra: 1 }]) {
        const bad = await api.post(`/v1/webhooks/${w.id}/test`, body);
        expect(bad.status, JSON.stringify(body)).toBe(422);
        expect(bad.body.error.code).toBe('invalid_request');
        expect(bad.body.error.details[0].path).toMatch(/^(eventType|extra)$/);
      }
      expect(r.received).toHaveLength(1);
    });
  });
});
