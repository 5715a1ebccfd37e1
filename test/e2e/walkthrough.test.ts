import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { exampleData } from '../../shared/events/examples';
import { TenantRepository } from '../../shared/tenants/repository';
import { documentClient } from '../../shared/aws/clients';
import { apiClient, eventually, publish, type ApiClient } from '../fixtures/api';
import { startReceiver, type Receiver } from '../fixtures/receiver';

/**
 * The README's walk-through, end to end on the local stack: create, validate, activate,
 * publish with EventBridge, receive a signed delivery, read the log.
 */
describe('walk-through on the local stack', () => {
  let stack: LocalStack;
  let api: ApiClient;
  let badges: Receiver;
  let content: Receiver;

  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, awsPort: 0, apiKey: 'e2e-key-0123456789', allowLoopback: true });
    api = apiClient(stack.apiUrl, stack.apiKey);
    badges = await startReceiver();
    content = await startReceiver();
  });
  afterAll(async () => {
    await badges?.close();
    await content?.close();
    await stack?.stop();
  });

  it('delivers a published event, signed, only to subscribed active webhooks, and logs it', async () => {
    expect((await fetch(`${stack.apiUrl}/health`)).status).toBe(200);

    const created = await api.post('/v1/webhooks', { name: 'Badge sync', url: `${badges.url}/hooks`, eventTypes: ['badge.awarded'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'inactive', validation: { status: 'unvalidated' } });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const id = created.body.id as string;
    const verifier = new StandardWebhook(created.body.secret);

    const early = await api.post(`/v1/webhooks/${id}/activate`);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('validation_required');

    const validated = await api.post(`/v1/webhooks/${id}/validate`);
    expect(validated.status).toBe(200);
    expect(validated.body.validation).toMatchObject({ status: 'succeeded', url: `${badges.url}/hooks`, statusCode: 200, error: null });
    const probe = badges.received[0]!;
    expect(JSON.parse(probe.body)).toMatchObject({ type: 'webhook.validation', webhookId: id, tenantId: 'local' });
    expect(() => verifier.verify(probe.body, probe.headers as Record<string, string>)).not.toThrow();

    expect((await api.post(`/v1/webhooks/${id}/activate`)).body.status).toBe('active');

    // A second webhook, subscribed to another type only.
    const other = await api.post('/v1/webhooks', { name: 'Content sync', url: content.url, eventTypes: ['content.completed'] });
    await api.post(`/v1/webhooks/${other.body.id}/validate`);
    expect((await api.post(`/v1/webhooks/${other.body.id}/activate`)).status).toBe(200);
    const contentValidations = content.received.length;

    const data = exampleData('badge.awarded');
    await publish(stack.endpoint, stack.provisioned.names.eventBus, [
      { type: 'badge.awarded', detail: { tenantId: 'local', id: 'award-42', occurredAt: '2026-12-04T12:00:00.000Z', data } },
    ]);

    await badges.waitFor(2);
    const delivery = badges.received[1]!;
    expect(delivery.method).toBe('POST');
    expect(delivery.path).toBe('/hooks');
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(delivery.headers['user-agent']).toMatch(/^LMS-Webhooks\//);
    const body = verifier.verify(delivery.body, delivery.headers as Record<string, string>) as Record<string, unknown>;
    expect(body).toEqual({ id: delivery.headers['webhook-id'], type: 'badge.awarded', occurredAt: '2026-12-04T12:00:00.000Z', tenantId: 'local', webhookId: id, data });
    expect(body.id).toMatch(/^evt_/);

    await stack.idle();
    expect(content.received.length).toBe(contentValidations);

    const logs = await eventually(async () => {
      const res = await api.get(`/v1/webhooks/${id}/logs`);
      return res.body.items.some((r: { kind: string }) => r.kind === 'delivery') ? res : undefined;
    });
    const record = logs.body.items.find((r: { kind: string }) => r.kind === 'delivery');
    expect(record).toMatchObject({ eventId: body.id, eventType: 'badge.awarded', attempt: 1, outcome: 'succeeded', statusCode: 200, error: null, nextAttemptAt: null, url: `${badges.url}/hooks` });
    expect(record.durationMs).toBeGreaterThanOrEqual(0);
    expect(record.id).toMatch(/^att_/);
  });

  it("keeps tenants apart: another tenant's key sees 404", async () => {
    const mine = await api.post('/v1/webhooks', { name: 'Mine', url: badges.url, eventTypes: ['badge.awarded'] });
    const { key } = await new TenantRepository(documentClient(), stack.provisioned.names.table).createKey('globex');
    const theirs = apiClient(stack.apiUrl, key);
    const res = await theirs.get(`/v1/webhooks/${mine.body.id}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect((await theirs.get('/v1/webhooks')).body.items).toEqual([]);
  });

  it('answers 401 with the contract body for a missing or wrong key', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope-nope-nope' }] as Record<string, string>[]) {
      const res = await fetch(`${stack.apiUrl}/v1/webhooks`, { headers });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
  });
});
