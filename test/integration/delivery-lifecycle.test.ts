import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { clientConfig } from '../../infra/local/provision';
import { exampleData } from '../../shared/events/examples';
import { eventIdFor } from '../../shared/ids';
import { apiClient, eventually, publish, type ApiClient } from '../fixtures/api';
import {
  activeWebhook,
  captureLogLines,
  deliveryLogs,
  logsUntil,
  publishBadges,
  receiverPool,
  sleep,
  uniqueIds,
} from './delivery-helpers';

/**
 * Idempotent publishing, refused events, the webhook read again at delivery time (cache TTL
 * 0 here), and 410 Gone, on the local stack.
 */
describe('delivery lifecycle on the local stack', () => {
  let stack: LocalStack;
  let api: ApiClient;
  let sqs: SQSClient;
  let logLines: ReturnType<typeof captureLogLines>;
  const pool = receiverPool();
  const receiver = pool.receiver;
  const uniqueId = uniqueIds('life');

  beforeAll(async () => {
    logLines = captureLogLines();
    stack = await startLocalStack({
      port: 0,
      awsPort: 0,
      apiKey: 'lifecycle-key-0123456789',
      allowLoopback: true,
      config: { attemptTimeoutMs: '1500', webhookCacheTtlMs: '0' },
    });
    api = apiClient(stack.apiUrl, stack.apiKey);
    sqs = new SQSClient(clientConfig({ endpoint: stack.endpoint, region: stack.region }));
  });
  afterAll(async () => {
    logLines?.restore();
    sqs?.destroy();
    await pool.closeAll();
    await stack?.stop();
  });

  it('delivers the same (tenantId, id) published twice once per webhook', async () => {
    const [a, b] = [await receiver(), await receiver()];
    await activeWebhook(api, a.url);
    await activeWebhook(api, b.url);
    const id = uniqueId();
    await publishBadges(stack, [id]);
    await publishBadges(stack, [id]);
    const eventId = eventIdFor('local', id);
    await logLines.waitFor('duplicate event ignored', { eventId });
    await stack.idle();
    expect(a.deliveries.map((d) => d.headers['webhook-id'])).toEqual([eventId]);
    expect(b.deliveries.map((d) => d.headers['webhook-id'])).toEqual([eventId]);
  });

  it('keys an event without id on its EventBridge event id: the same EventBridge event twice is delivered once', async () => {
    const r = await receiver();
    await activeWebhook(api, r.url);
    const [ebId] = await publishBadges(stack, [undefined]);
    await eventually(async () => r.deliveries.length === 1);
    expect(r.deliveries[0]!.headers['webhook-id']).toBe(eventIdFor('local', ebId!));

    // EventBridge delivers at least once: the same event may reach the ingest queue twice.
    const copy = JSON.stringify({
      version: '0',
      id: `eb-${uniqueId()}`,
      'detail-type': 'badge.awarded',
      source: 'lms.core',
      account: '123456789012',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: { tenantId: 'local', data: exampleData('badge.awarded') },
    });
    for (let i = 0; i < 2; i++) await sqs.send(new SendMessageCommand({ QueueUrl: stack.provisioned.queues.ingest.url, MessageBody: copy }));
    const eventId = eventIdFor('local', JSON.parse(copy).id);
    await logLines.waitFor('duplicate event ignored', { eventId });
    await stack.idle();
    expect(r.deliveries.filter((d) => d.headers['webhook-id'] === eventId)).toHaveLength(1);
    expect(r.deliveries).toHaveLength(2);
  });

  it('delivers the valid events of a publish and keeps the invalid one in the ingest DLQ with its reason', async () => {
    const r = await receiver();
    await activeWebhook(api, r.url);
    const data = exampleData('badge.awarded');
    const [good1, bad, good2] = [uniqueId(), uniqueId(), uniqueId()];
    const { email: _email, ...userWithoutEmail } = data.user as Record<string, unknown>;
    const ebIds = await publish(stack.endpoint, stack.provisioned.names.eventBus, [
      { type: 'badge.awarded', detail: { tenantId: 'local', id: good1, data } },
      { type: 'badge.awarded', detail: { tenantId: 'local', id: bad, data: { ...data, user: userWithoutEmail } } },
      { type: 'badge.awarded', detail: { tenantId: 'local', id: good2, data } },
    ]);

    await eventually(async () => r.deliveries.length === 2);
    expect(r.deliveries.map((d) => d.headers['webhook-id']).sort()).toEqual([eventIdFor('local', good1), eventIdFor('local', good2)].sort());

    const dead = await eventually(async () => {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: stack.provisioned.queues.ingest.dlqUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }),
      );
      return out.Messages?.find((m) => m.MessageAttributes?.publisherId?.StringValue === bad);
    });
    const attrs = Object.fromEntries(Object.entries(dead.MessageAttributes!).map(([k, v]) => [k, v.StringValue]));
    expect(attrs).toMatchObject({ reason: 'schema', eventId: ebIds[1], detailType: 'badge.awarded', tenantId: 'local', publisherId: bad });
    expect(attrs.failedPaths).toContain('data.user.email');
    expect(JSON.parse(dead.Body!).detail).toMatchObject({ id: bad });

    const line = await logLines.waitFor(/^event refused/, { publisherId: bad });
    expect(line).toMatchObject({ level: 'warn', eventBridgeId: ebIds[1], failedPaths: ['data.user.email'] });
    await stack.idle();
    expect(r.deliveries).toHaveLength(2);
  });

  it('does not call a webhook deactivated while a retry waits: the task is dropped and the log line says so', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const hook = await activeWebhook(api, r.url, { retryPolicy: { maxAttempts: 3, backoffSeconds: [2, 2] } });
    await publishBadges(stack, [uniqueId()]);
    const [first] = await logsUntil(api, hook.id, (items) => items.length === 1);
    expect((await api.post(`/v1/webhooks/${hook.id}/deactivate`)).body.status).toBe('inactive');

    await logLines.waitFor('dropped: the webhook is inactive', { deliveryId: first!.deliveryId, attempt: 2 });
    await stack.idle();
    expect(r.deliveries).toHaveLength(1);
    expect(await deliveryLogs(api, hook.id)).toHaveLength(1);
  });

  it("stops a delivery's retries on 410 Gone", async () => {
    const r = await receiver(() => ({ status: 410 }));
    const hook = await activeWebhook(api, r.url, { retryPolicy: { maxAttempts: 3, backoffSeconds: [1, 1] } });
    await publishBadges(stack, [uniqueId()]);
    const [record] = await logsUntil(api, hook.id, (items) => items.length === 1);
    expect(record).toMatchObject({ statusCode: 410, outcome: 'failed', nextAttemptAt: null });
    await sleep(2500);
    await stack.idle();
    expect(r.deliveries).toHaveLength(1);
  });
});
