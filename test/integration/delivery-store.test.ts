import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { startMoto, type MotoServer } from '../../infra/local/moto';
import { clientConfig, provision } from '../../infra/local/provision';
import { serializeConditionalWrites } from '../../shared/aws/clients';
import { EventStore, type StoredEvent } from '../../shared/delivery/event-store';
import { eventIdFor, newId } from '../../shared/ids';
import type { StoredAttempt } from '../../shared/logs/model';
import { LogRepository } from '../../shared/logs/repository';
import type { Webhook } from '../../shared/webhooks/model';
import { WebhookRepository } from '../../shared/webhooks/repository';
import { webhookFixture } from '../fixtures/webhooks';

/** The delivery engine's writes against moto's DynamoDB: what the unit tests' fakes stand in for. */
describe('delivery storage on moto', () => {
  let moto: MotoServer;
  let db: DynamoDBDocumentClient;
  let table: string;
  let webhooks: WebhookRepository;
  const NOW = Date.now();

  beforeAll(async () => {
    moto = await startMoto({ port: 0 });
    const target = { endpoint: moto.endpoint, region: 'us-east-1' };
    const provisioned = await provision(target, 'store-');
    table = provisioned.names.table;
    // Against moto, as the local stack does: conditional writes to one item run one at a time.
    db = DynamoDBDocumentClient.from(serializeConditionalWrites(new DynamoDBClient(clientConfig(target))));
    webhooks = new WebhookRepository(db, table);
  });
  afterAll(async () => {
    db?.destroy();
    await moto?.stop();
  });

  async function created(overrides: Partial<Webhook> = {}): Promise<Webhook> {
    const w: Webhook = webhookFixture(overrides, NOW);
    await webhooks.create(w);
    return w;
  }

  describe('failure tracking on the webhook', () => {
    it('starts a streak at the first failed delivery of a new webhook and counts the next ones', async () => {
      const w = await created();
      const first = await webhooks.recordTerminalFailure('acme', w.id, '2026-12-01T00:00:00.000Z');
      expect(first).toMatchObject({ failingSince: '2026-12-01T00:00:00.000Z', failedDeliveries: 1 });
      const second = await webhooks.recordTerminalFailure('acme', w.id, '2026-12-02T00:00:00.000Z');
      expect(second).toMatchObject({ failingSince: '2026-12-01T00:00:00.000Z', failedDeliveries: 2 });
      // Bookkeeping, not an edit: an admin's save based on version 1 still goes through.
      expect(second!.version).toBe(1);
    });

    it('counts concurrent failures exactly', async () => {
      const w = await created();
      await Promise.all(Array.from({ length: 6 }, (_, i) => webhooks.recordTerminalFailure('acme', w.id, `2026-12-0${i + 1}T00:00:00.000Z`)));
      const after = await webhooks.get('acme', w.id);
      expect(after!.failedDeliveries).toBe(6);
      expect(after!.failingSince).toMatch(/^2026-12-0\d/);
    });

    it('ends the streak on a success, and a new one starts afresh', async () => {
      const w = await created();
      await webhooks.recordTerminalFailure('acme', w.id, '2026-12-01T00:00:00.000Z');
      await webhooks.recordSuccess('acme', w.id);
      expect(await webhooks.get('acme', w.id)).toMatchObject({ failingSince: null, failedDeliveries: 0 });
      // No streak: nothing to write, and nothing breaks.
      await webhooks.recordSuccess('acme', w.id);
      expect(await webhooks.recordTerminalFailure('acme', w.id, '2026-12-03T00:00:00.000Z')).toMatchObject({ failingSince: '2026-12-03T00:00:00.000Z', failedDeliveries: 1 });
    });

    it('deactivates once with reason failing, out of the active index, with the streak reset', async () => {
      const w = await created();
      await webhooks.recordTerminalFailure('acme', w.id, '2026-12-01T00:00:00.000Z');
      expect((await webhooks.listActive('acme')).map((x) => x.id)).toContain(w.id);
      expect(await webhooks.deactivateFailing('acme', w.id, '2026-12-06T00:00:00.000Z')).toBe(true);
      expect(await webhooks.deactivateFailing('acme', w.id, '2026-12-06T00:00:01.000Z')).toBe(false);
      const after = await webhooks.get('acme', w.id);
      expect(after).toMatchObject({ status: 'inactive', deactivatedReason: 'failing', failingSince: null, failedDeliveries: 0, updatedAt: '2026-12-06T00:00:00.000Z', version: 2 });
      expect((await webhooks.listActive('acme')).map((x) => x.id)).not.toContain(w.id);
    });

    it('leaves a webhook that is not active alone, and knows nothing of a missing one', async () => {
      const w = await created({ status: 'inactive' });
      expect(await webhooks.deactivateFailing('acme', w.id, new Date().toISOString())).toBe(false);
      expect(await webhooks.recordTerminalFailure('acme', newId('webhook'), new Date().toISOString())).toBeNull();
    });
  });

  describe('the event store', () => {
    const event = (overrides: Partial<StoredEvent> = {}): StoredEvent => ({
      id: eventIdFor('acme', `e-${Math.random()}`),
      type: 'badge.awarded',
      occurredAt: '2026-12-04T12:00:00.000Z',
      tenantId: 'acme',
      data: { n: 1 },
      sourceEventId: 'eb-1',
      ...overrides,
    });

    it('admits an event once: a re-publish is a duplicate, the same message handed over again resumes', async () => {
      const store = new EventStore(db, table, 30);
      const e = event();
      expect(await store.admit(e, 1, NOW)).toBe('new');
      // Published again by the upstream system: another EventBridge event with the same id.
      expect(await store.admit({ ...e, sourceEventId: 'eb-2' }, 1, NOW)).toBe('duplicate');
      expect(await store.admit({ ...e, sourceEventId: 'eb-2' }, 3, NOW)).toBe('duplicate');
      // The same EventBridge event twice (EventBridge delivers at least once).
      expect(await store.admit(e, 1, NOW)).toBe('duplicate');
      // Our fan-out failed after the write and SQS handed the message over again.
      expect(await store.admit(e, 2, NOW)).toBe('resumed');
    });

    it('keeps the envelope for redelivery, with a TTL of the retention', async () => {
      const store = new EventStore(db, table, 30);
      const e = event();
      await store.admit(e, 1, NOW);
      expect(await store.get('acme', e.id)).toEqual(e);
      expect(await store.get('globex', e.id)).toBeNull();
      const { Item } = await db.send(new GetCommand({ TableName: table, Key: { pk: `EVENT#acme#${e.id}`, sk: 'EVENT' } }));
      expect(Item!.ttl).toBe(Math.floor(NOW / 1000) + 30 * 86_400);
    });
  });

  describe('the log lookup that prevents a second POST', () => {
    it('finds the record of one attempt of one delivery', async () => {
      const logs = new LogRepository(db, table, 30);
      const webhookId = newId('webhook');
      const deliveryId = newId('delivery');
      const record = (attempt: number, delivery = deliveryId): StoredAttempt => ({
        id: newId('attempt', NOW + attempt),
        tenantId: 'acme',
        webhookId,
        eventId: 'evt_1',
        eventType: 'badge.awarded',
        attempt,
        attemptedAt: new Date(NOW + attempt).toISOString(),
        url: 'https://hooks.example.com/lms',
        outcome: 'failed',
        statusCode: 500,
        durationMs: 3,
        error: 'http_status',
        nextAttemptAt: new Date(NOW + 60_000).toISOString(),
        responseExcerpt: '',
        kind: 'delivery',
        deliveryId: delivery,
        terminal: false,
      });
      const records = [record(1), record(2), record(1, newId('delivery'))];
      await logs.writeAll(records);
      expect(await logs.findAttempt('acme', webhookId, deliveryId, 2, NOW - 60_000)).toEqual(records[1]);
      expect(await logs.findAttempt('acme', webhookId, deliveryId, 3, NOW - 60_000)).toBeNull();
      expect(await logs.findAttempt('acme', newId('webhook'), deliveryId, 1, NOW - 60_000)).toBeNull();
    });
  });
});
