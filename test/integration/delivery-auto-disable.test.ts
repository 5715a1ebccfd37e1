import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { apiClient, eventually, type ApiClient } from '../fixtures/api';
import { activeWebhook, captureLogLines, logsUntil, publishBadges, receiverPool, uniqueIds } from './delivery-helpers';

/**
 * Auto-disable on the local stack, with small settings (after 0 days and 2 deliveries) so that
 * it shows within a test; the unit tests run the real defaults with an injected clock.
 */
describe('auto-disable on the local stack', () => {
  let stack: LocalStack;
  let api: ApiClient;
  let logLines: ReturnType<typeof captureLogLines>;
  const pool = receiverPool();
  const receiver = pool.receiver;
  const uniqueId = uniqueIds('auto');
  const once = { maxAttempts: 1, backoffSeconds: [] };

  beforeAll(async () => {
    logLines = captureLogLines();
    stack = await startLocalStack({
      port: 0,
      awsPort: 0,
      apiKey: 'autodisable-key-0123456789',
      allowLoopback: true,
      config: { attemptTimeoutMs: '1500', webhookCacheTtlMs: '0', autoDisableAfterDays: '0', autoDisableMinDeliveries: '2' },
    });
    api = apiClient(stack.apiUrl, stack.apiKey);
  });
  afterAll(async () => {
    logLines?.restore();
    await pool.closeAll();
    await stack?.stop();
  });

  it('deactivates a webhook whose deliveries all failed (reason failing, visible in the API and logged)', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const hook = await activeWebhook(api, r.url, { retryPolicy: once });
    await publishBadges(stack, [uniqueId()]);
    await logsUntil(api, hook.id, (items) => items.length === 1);
    expect((await api.get(`/v1/webhooks/${hook.id}`)).body).toMatchObject({ status: 'active', deactivatedReason: null });

    await publishBadges(stack, [uniqueId()]);
    const view = await eventually(async () => {
      const res = await api.get(`/v1/webhooks/${hook.id}`);
      return res.body.status === 'inactive' ? res.body : undefined;
    });
    expect(view).toMatchObject({ status: 'inactive', deactivatedReason: 'failing' });
    await logLines.waitFor('webhook deactivated after sustained failure', { webhookId: hook.id });
    expect((await api.get('/v1/webhooks?status=inactive')).body.items.map((w: { id: string }) => w.id)).toContain(hook.id);

    // Reactivated after a fix, it starts a new streak rather than being stopped by one failure.
    await api.post(`/v1/webhooks/${hook.id}/validate`);
    expect((await api.post(`/v1/webhooks/${hook.id}/activate`)).body).toMatchObject({ status: 'active', deactivatedReason: null });
    await publishBadges(stack, [uniqueId()]);
    await logsUntil(api, hook.id, (items) => items.length === 3);
    await stack.idle();
    expect((await api.get(`/v1/webhooks/${hook.id}`)).body.status).toBe('active');
  });

  it('ends the failing streak on a success', async () => {
    const answers = [500, 200, 500];
    const r = await receiver((i) => ({ status: answers[i] ?? 200 }));
    const hook = await activeWebhook(api, r.url, { retryPolicy: once });
    for (let i = 0; i < answers.length; i++) {
      await publishBadges(stack, [uniqueId()]);
      await logsUntil(api, hook.id, (items) => items.length === i + 1);
    }
    await stack.idle();
    expect((await api.get(`/v1/webhooks/${hook.id}`)).body).toMatchObject({ status: 'active', deactivatedReason: null });
  });
});
