import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { apiClient, type ApiClient } from '../fixtures/api';
import { startReceiver, type Receiver } from '../fixtures/receiver';

/**
 * A local stack started like `WEBHOOKS_ALLOW_LOOPBACK=false npm start`: loopback is a blocked
 * range too. A live receiver on 127.0.0.1 proves that refused URLs are refused before any
 * request is sent.
 */
describe('URL safety with loopback blocked', () => {
  let stack: LocalStack;
  let api: ApiClient;
  let receiver: Receiver;

  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, awsPort: 0, apiKey: 'url-safety-key-0001', allowLoopback: false });
    api = apiClient(stack.apiUrl, stack.apiKey);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  const loopback = (port: number) => [
    `http://127.0.0.1:${port}/`,
    `http://127.9.9.9:${port}/`,
    `http://2130706433:${port}/`,
    `http://0x7f000001:${port}/`,
    `http://0177.0.0.1:${port}/`,
    `http://127.1:${port}/`,
    `http://[::1]:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://[::ffff:7f00:1]:${port}/`,
    `http://[64:ff9b::7f00:1]:${port}/`,
    `http://localhost:${port}/`,
    `http://LOCALHOST.:${port}/`,
    `http://hooks.localhost:${port}/`,
  ];

  it('refuses every spelling of loopback on create with 422 blocked_address', async () => {
    for (const url of loopback(receiver.port)) {
      const res = await api.post('/v1/webhooks', { name: 'Loop', url, eventTypes: ['badge.awarded'] });
      expect(res.status, url).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'blocked_address', details: [{ path: 'url', message: expect.stringMatching(/loopback/) }] });
    }
    expect((await api.get('/v1/webhooks')).body.items).toEqual([]);
    expect(receiver.received).toEqual([]);
  });

  it('refuses them on edit too, and the webhook keeps its URL', async () => {
    const created = await api.post('/v1/webhooks', { name: 'Public', url: 'https://hooks.example.com/lms', eventTypes: ['badge.awarded'] });
    expect(created.status).toBe(201);
    const before = (await api.get(`/v1/webhooks/${created.body.id}`)).body;
    for (const url of loopback(receiver.port)) {
      const res = await api.patch(`/v1/webhooks/${created.body.id}`, { url });
      expect(res.status, url).toBe(422);
      expect(res.body.error.code).toBe('blocked_address');
    }
    expect((await api.get(`/v1/webhooks/${created.body.id}`)).body).toEqual(before);
    expect(receiver.received).toEqual([]);
  });
});
