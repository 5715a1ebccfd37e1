import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { documentClient } from '../../shared/aws/clients';
import { WebhookRepository } from '../../shared/webhooks/repository';
import { apiClient, type ApiClient } from '../fixtures/api';
import { startReceiver, type Receiver } from '../fixtures/receiver';

const ROUNDS = 12;

/**
 * Concurrent requests at the local stack never leave a mixed state: each write is
 * conditional on the version it read, and the loser gets 409 conflict. (The deterministic
 * version of this, with a stale read, is in test/unit/webhook-service.test.ts.)
 */
describe('concurrent requests on the local stack', () => {
  let stack: LocalStack;
  let api: ApiClient;
  let receiver: Receiver;
  let repo: WebhookRepository;

  async function validated(name: string): Promise<string> {
    const res = await api.post('/v1/webhooks', { name, url: receiver.url, eventTypes: ['badge.awarded'] });
    expect((await api.post(`/v1/webhooks/${res.body.id}/validate`)).body.validation.status).toBe('succeeded');
    return res.body.id;
  }

  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, awsPort: 0, apiKey: 'races-api-key-00001', allowLoopback: true });
    api = apiClient(stack.apiUrl, stack.apiKey);
    receiver = await startReceiver();
    repo = new WebhookRepository(documentClient(), stack.provisioned.names.table);
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  it('archive vs activate: archived means not firing, active means in the active index; the loser gets 409', async () => {
    let conflicts = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const id = await validated(`race ${round}`);
      const [activate, archive] = await Promise.all([api.post(`/v1/webhooks/${id}/activate`), api.post(`/v1/webhooks/${id}/archive`)]);
      for (const res of [activate, archive]) {
        expect([200, 409], res.text).toContain(res.status);
        if (res.status === 409) expect(['conflict', 'archived']).toContain(res.body.error.code);
        if (res.body.error?.code === 'conflict') conflicts++;
      }
      const final = (await api.get(`/v1/webhooks/${id}`)).body;
      const firing = (await repo.listActive('local')).some((w) => w.id === id);
      if (archive.status === 200) {
        // Either archive came last, or activate lost the race: archived, and not firing.
        expect(final.status).toBe('archived');
        expect(activate.status === 409 || Date.parse(activate.body.updatedAt) <= Date.parse(archive.body.updatedAt)).toBe(true);
      } else {
        expect(archive.body.error.code).toBe('conflict');
        expect(activate.status).toBe(200);
        expect(final.status).toBe('active');
      }
      expect(firing).toBe(final.status === 'active');
      await api.post(`/v1/webhooks/${id}/archive`);
    }
    console.log("conflicts archive/activate", conflicts);
    // The requests did overlap: at least one pair read the same version.
    expect(conflicts).toBeGreaterThan(0);
  });

  it('concurrent edits of different fields: the webhook holds exactly the edits that answered 200', async () => {
    let conflicts = 0;
    const other = await startReceiver();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const id = await validated(`edit ${round}`);
        const edits = [
          { name: `Renamed ${round}` },
          { eventTypes: ['content.completed', 'workshop.attended'] },
          { retryPolicy: { maxAttempts: 2, backoffSeconds: [round + 1] } },
          { url: `${other.url}/r${round}` },
        ];
        const answers = await Promise.all(edits.map((body) => api.patch(`/v1/webhooks/${id}`, body)));
        const final = (await api.get(`/v1/webhooks/${id}`)).body;
        for (const [i, res] of answers.entries()) {
          expect([200, 409], res.text).toContain(res.status);
          const [field, value] = Object.entries(edits[i]!)[0]!;
          if (res.status === 200) {
            expect(final[field], `${field} answered 200`).toEqual(value);
          } else {
            expect(res.body.error.code).toBe('conflict');
            expect(final[field], `${field} answered 409`).not.toEqual(value);
            conflicts++;
          }
        }
        // A URL change on an inactive webhook resets validation, whatever else happened.
        if (final.url === `${other.url}/r${round}`) expect(final.validation.status).toBe('unvalidated');
        else expect(final.validation).toMatchObject({ status: 'succeeded', url: final.url });
      }
    } finally {
      await other.close();
    }
    console.log('conflicts edits', conflicts);
    expect(conflicts).toBeGreaterThan(0);
  });
});
