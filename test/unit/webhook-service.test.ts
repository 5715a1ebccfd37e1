import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { startMoto, type MotoServer } from '../../infra/local/moto';
import { provision } from '../../infra/local/provision';
import { userAgent } from '../../shared/delivery/attempt';
import { createSender, type Sender } from '../../shared/delivery/http-sender';
import type { UrlPolicy } from '../../shared/delivery/url-policy';
import { exampleData } from '../../shared/events/examples';
import { LogRepository } from '../../shared/logs/repository';
import { signingSecrets, type Webhook } from '../../shared/webhooks/model';
import { WebhookRepository } from '../../shared/webhooks/repository';
import { SECRET_GRACE_MS, WebhookService } from '../../shared/webhooks/service';
import { startReceiver, type Receiver } from '../fixtures/receiver';

/**
 * WebhookService against moto (the real repository and its conditional writes), with a real
 * receiver on 127.0.0.1 and an injected clock.
 */
describe('WebhookService', () => {
  let moto: MotoServer;
  let db: DynamoDBDocumentClient;
  let repo: WebhookRepository;
  let logs: LogRepository;
  let sender: Sender;
  let receiver: Receiver;
  let clock = Date.now();

  const service = (overrides: { repo?: WebhookRepository; urlPolicy?: UrlPolicy } = {}) =>
    new WebhookService({
      repo: overrides.repo ?? repo,
      logs,
      sender,
      urlPolicy: overrides.urlPolicy ?? { allowHttp: true, allowLoopback: true },
      userAgent: userAgent('test'),
      now: () => clock,
    });

  /** A repository whose reads return what was read earlier: a request that read before another wrote. */
  const staleRepo = (snapshot: Webhook): WebhookRepository =>
    Object.assign(Object.create(repo) as WebhookRepository, { require: async () => structuredClone(snapshot) });

  beforeAll(async () => {
    moto = await startMoto({ port: 0 });
    const provisioned = await provision({ endpoint: moto.endpoint, region: 'us-east-1' }, 'svc-');
    db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), {
      marshallOptions: { removeUndefinedValues: true },
    });
    repo = new WebhookRepository(db, provisioned.names.table);
    logs = new LogRepository(db, provisioned.names.table, 30);
    sender = createSender({ connectTimeoutMs: 2_000, attemptTimeoutMs: 2_000, allowHttp: true, allowLoopback: true });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await sender?.close();
    db?.destroy();
    await moto?.stop();
  });

  async function validatedWebhook(tenantId: string): Promise<Webhook> {
    clock = Date.now();
    const { webhook } = await service().create(tenantId, { name: 'Race', url: receiver.url, eventTypes: ['badge.awarded'] });
    return service().validate(tenantId, webhook.id);
  }

  describe('concurrent changes (conditional writes on the version)', () => {
    it('archive wins over an activate that read the same version: the activate gets 409 conflict', async () => {
      const w = await validatedWebhook('race-1');
      const readByActivate = await repo.require('race-1', w.id);
      const archived = await service().transition('race-1', w.id, 'archive');
      expect(archived.status).toBe('archived');

      await expect(service({ repo: staleRepo(readByActivate) }).transition('race-1', w.id, 'activate')).rejects.toMatchObject({ code: 'conflict' });
      const final = await repo.require('race-1', w.id);
      expect(final.status).toBe('archived');
      expect(final.version).toBe(archived.version);
      expect(await repo.listActive('race-1')).toEqual([]);
    });

    it('activate wins over an archive that read the same version: it stays active and in the active index', async () => {
      const w = await validatedWebhook('race-2');
      const readByArchive = await repo.require('race-2', w.id);
      expect((await service().transition('race-2', w.id, 'activate')).status).toBe('active');

      await expect(service({ repo: staleRepo(readByArchive) }).transition('race-2', w.id, 'archive')).rejects.toMatchObject({ code: 'conflict' });
      expect((await repo.require('race-2', w.id)).status).toBe('active');
      expect((await repo.listActive('race-2')).map((x) => x.id)).toEqual([w.id]);
    });

    it('of two edits that read the same version, the second is refused and changes nothing', async () => {
      const w = await validatedWebhook('race-3');
      const readBySecond = await repo.require('race-3', w.id);
      await service().update('race-3', w.id, { name: 'First edit' });

      await expect(service({ repo: staleRepo(readBySecond) }).update('race-3', w.id, { eventTypes: ['content.completed'] })).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/another request/),
      });
      const final = await repo.require('race-3', w.id);
      expect(final.name).toBe('First edit');
      expect(final.eventTypes).toEqual(['badge.awarded']);
    });

    it('a URL validated while another request changed the webhook is not saved', async () => {
      const w = await validatedWebhook('race-4');
      await service().transition('race-4', w.id, 'activate');
      const readByPatch = await repo.require('race-4', w.id);
      await service().transition('race-4', w.id, 'deactivate');

      const other = await startReceiver();
      try {
        await expect(service({ repo: staleRepo(readByPatch) }).update('race-4', w.id, { url: `${other.url}/new` })).rejects.toMatchObject({ code: 'conflict' });
        expect(other.received).toHaveLength(1); // validated, but not saved
      } finally {
        await other.close();
      }
      const final = await repo.require('race-4', w.id);
      expect(final).toMatchObject({ status: 'inactive', url: w.url });
    });
  });

  describe("the delivery worker's failure counters", () => {
    it('survive an edit from an older read, and do not make it a conflict', async () => {
      const w = await validatedWebhook('counters');
      const readByEdit = await repo.require('counters', w.id);
      // The worker counts two failed deliveries meanwhile (without moving the version).
      await repo.recordTerminalFailure('counters', w.id, '2026-12-01T00:00:00.000Z');
      await repo.recordTerminalFailure('counters', w.id, '2026-12-02T00:00:00.000Z');

      const saved = await service({ repo: staleRepo(readByEdit) }).update('counters', w.id, { name: 'Edited meanwhile' });
      expect(saved).toMatchObject({ name: 'Edited meanwhile', failingSince: '2026-12-01T00:00:00.000Z', failedDeliveries: 2 });
      expect(await repo.require('counters', w.id)).toMatchObject({ name: 'Edited meanwhile', failingSince: '2026-12-01T00:00:00.000Z', failedDeliveries: 2, version: readByEdit.version + 1 });

      // A success ends the streak; an edit from a read taken during the streak does not bring it back.
      const readDuringStreak = await repo.require('counters', w.id);
      await repo.recordSuccess('counters', w.id);
      await service({ repo: staleRepo(readDuringStreak) }).update('counters', w.id, { name: 'Edited again' });
      expect(await repo.require('counters', w.id)).toMatchObject({ name: 'Edited again', failingSince: null, failedDeliveries: 0 });
    });

    it('still make a real concurrent edit lose with 409', async () => {
      const w = await validatedWebhook('counters');
      const stale = await repo.require('counters', w.id);
      await repo.recordTerminalFailure('counters', w.id, '2026-12-01T00:00:00.000Z');
      await service().update('counters', w.id, { name: 'First' });
      await expect(service({ repo: staleRepo(stale) }).update('counters', w.id, { name: 'Second' })).rejects.toMatchObject({ code: 'conflict' });
      expect(await repo.require('counters', w.id)).toMatchObject({ name: 'First', failedDeliveries: 1 });
    });
  });

  describe('secret rotation (injected clock)', () => {
    it('signs with the new and the old secret for 24 hours, then with the new one only', async () => {
      clock = Date.now();
      const { webhook, secret: oldSecret } = await service().create('rotate', { name: 'Rotate', url: receiver.url, eventTypes: ['badge.awarded'] });
      // Rotated 24 h minus a minute ago: one minute of grace is left at the real "now".
      const realNow = Date.now();
      clock = realNow - SECRET_GRACE_MS + 60_000;
      const rotated = await service().rotateSecret('rotate', webhook.id);
      expect(rotated.secret).not.toBe(oldSecret);
      expect(rotated.previousSecret).toBe(oldSecret);
      expect(rotated.previousSecretExpiresAt).toBe(new Date(realNow + 60_000).toISOString());
      expect(await service().secret('rotate', webhook.id)).toBe(rotated.secret);

      const before = receiver.received.length;
      // Within the grace: two signatures, each verifies with standardwebhooks.
      clock = realNow;
      await service().testSend('rotate', webhook.id, 'badge.awarded');
      // One second after the grace ended (still within standardwebhooks' 5-minute tolerance).
      clock = realNow + 61_000;
      await service().testSend('rotate', webhook.id, 'badge.awarded');
      const [during, after] = receiver.received.slice(before);

      const headers = (r: typeof during) => r!.headers as Record<string, string>;
      expect(headers(during)['webhook-signature']!.split(' ')).toHaveLength(2);
      expect(() => new StandardWebhook(rotated.secret).verify(during!.body, headers(during))).not.toThrow();
      expect(() => new StandardWebhook(oldSecret).verify(during!.body, headers(during))).not.toThrow();

      expect(headers(after)['webhook-signature']!.split(' ')).toHaveLength(1);
      expect(() => new StandardWebhook(rotated.secret).verify(after!.body, headers(after))).not.toThrow();
      expect(() => new StandardWebhook(oldSecret).verify(after!.body, headers(after))).toThrow();
    });

    it('ends the grace exactly 24 hours after the rotation', () => {
      const at = Date.parse('2026-12-04T12:00:00.000Z');
      const w = { secret: 'new', previousSecret: 'old', previousSecretExpiresAt: new Date(at + SECRET_GRACE_MS).toISOString() } as Webhook;
      expect(signingSecrets(w, at)).toEqual(['new', 'old']);
      expect(signingSecrets(w, at + SECRET_GRACE_MS - 1)).toEqual(['new', 'old']);
      expect(signingSecrets(w, at + SECRET_GRACE_MS)).toEqual(['new']);
    });

    it('keeps one grace secret: a second rotation drops the oldest at once', async () => {
      clock = Date.now();
      const { webhook, secret: first } = await service().create('rotate', { name: 'Twice', url: receiver.url, eventTypes: ['badge.awarded'] });
      const second = await service().rotateSecret('rotate', webhook.id);
      const third = await service().rotateSecret('rotate', webhook.id);
      expect(third.previousSecret).toBe(second.secret);
      expect(signingSecrets(third, clock)).toEqual([third.secret, second.secret]);
      expect(signingSecrets(third, clock)).not.toContain(first);
    });
  });

  describe('test sends', () => {
    it('send the catalog example to an inactive webhook, marked as a test, and log it as kind test', async () => {
      clock = Date.now();
      const { webhook, secret } = await service().create('tests', { name: 'Test', url: `${receiver.url}/t`, eventTypes: ['badge.awarded'] });
      const before = receiver.received.length;
      const attempt = await service().testSend('tests', webhook.id, 'workshop.attended');
      const got = receiver.received[before]!;
      const body = new StandardWebhook(secret).verify(got.body, got.headers as Record<string, string>) as Record<string, unknown>;
      expect(body).toEqual({
        id: attempt.eventId,
        type: 'workshop.attended',
        occurredAt: new Date(clock).toISOString(),
        tenantId: 'tests',
        webhookId: webhook.id,
        data: exampleData('workshop.attended'),
        test: true,
      });
      expect(attempt).toMatchObject({ kind: 'test', outcome: 'succeeded', statusCode: 200, eventType: 'workshop.attended', url: `${receiver.url}/t`, attempt: 1 });
      const logged = await logs.list('tests', webhook.id, { limit: 10, now: Date.now() });
      expect(logged.items.map((r) => [r.id, r.kind])).toEqual([[attempt.id, 'test']]);
    });

    it('are refused for an archived webhook', async () => {
      clock = Date.now();
      const { webhook } = await service().create('tests', { name: 'Archived', url: receiver.url, eventTypes: ['badge.awarded'] });
      await service().transition('tests', webhook.id, 'archive');
      const before = receiver.received.length;
      await expect(service().testSend('tests', webhook.id, 'badge.awarded')).rejects.toMatchObject({ code: 'archived' });
      expect(receiver.received.length).toBe(before);
    });
  });

  describe('URL policy of the deployment', () => {
    const httpsOnly = { allowHttp: false, allowLoopback: false };

    it('refuses http when the deployment is https-only, on create and on edit, before any request', async () => {
      clock = Date.now();
      const before = receiver.received.length;
      await expect(service({ urlPolicy: httpsOnly }).create('policy', { name: 'Plain', url: 'http://hooks.example.com/lms', eventTypes: ['badge.awarded'] })).rejects.toMatchObject({
        code: 'invalid_request',
        details: [{ path: 'url', message: expect.stringMatching(/https/) }],
      });
      // https is fine (no request is made at registration).
      const { webhook } = await service({ urlPolicy: httpsOnly }).create('policy', { name: 'TLS', url: 'https://hooks.example.com/lms', eventTypes: ['badge.awarded'] });
      expect(webhook.url).toBe('https://hooks.example.com/lms');
      await expect(service({ urlPolicy: httpsOnly }).update('policy', webhook.id, { url: 'http://hooks.example.com/lms', name: 'Changed' })).rejects.toMatchObject({ code: 'invalid_request' });
      expect(await repo.require('policy', webhook.id)).toMatchObject({ url: 'https://hooks.example.com/lms', name: 'TLS', version: webhook.version });
      expect(receiver.received.length).toBe(before);
    });

    it('refuses loopback targets when the deployment blocks loopback', async () => {
      const before = receiver.received.length;
      for (const url of [receiver.url, `http://localhost:${receiver.port}/`, `http://2130706433:${receiver.port}/`, `http://[::1]:${receiver.port}/`]) {
        await expect(service({ urlPolicy: { allowHttp: true, allowLoopback: false } }).create('policy', { name: 'Loop', url, eventTypes: ['badge.awarded'] }), url).rejects.toMatchObject({
          code: 'blocked_address',
        });
      }
      expect(receiver.received.length).toBe(before);
    });
  });

  it('stores the URL normalised, and an unchanged URL on an active webhook sends no validation', async () => {
    const w = await validatedWebhook('norm');
    await service().transition('norm', w.id, 'activate');
    const before = receiver.received.length;
    // The same URL, spelled differently: scheme case and the missing root path.
    const updated = await service().update('norm', w.id, { url: receiver.url.replace('http://', 'HTTP://'), name: 'Renamed' });
    expect(updated).toMatchObject({ url: w.url, name: 'Renamed', status: 'active', validation: w.validation });
    expect(w.url).toBe(`${receiver.url}/`);
    expect(receiver.received.length).toBe(before);
  });
});
