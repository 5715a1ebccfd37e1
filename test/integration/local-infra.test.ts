import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { MotoMissingError, freePort, startMoto, type MotoServer } from '../../infra/local/moto';
import { startPoller, type Poller, type SqsHandler } from '../../infra/local/sqs-poller';
import {
  startApiServer,
  type ApiHandler,
  type ApiServer,
  type ApiServerOptions,
  type AuthorizerHandler,
} from '../../infra/local/http-adapter';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

describe('moto', () => {
  it('tells how to install moto when it is missing', () => {
    const error = new MotoMissingError();
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain("pip install 'moto[server]'");
  });

  it('refuses a port that is already taken, naming it and AWS_ENDPOINT_PORT', async () => {
    const blocker: Server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      await expect(startMoto({ port })).rejects.toThrow(new RegExp(`${port}.*AWS_ENDPOINT_PORT`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('sqs poller against moto', () => {
  let moto: MotoServer;
  let sqs: SQSClient;
  const pollers: Poller[] = [];

  beforeAll(async () => {
    moto = await startMoto({ port: 0 });
    sqs = new SQSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials });
  });

  afterAll(async () => {
    await Promise.all(pollers.map((p) => p.stop()));
    sqs?.destroy();
    await moto?.stop();
    // The whole process group is gone, not just the leader.
    if (moto) expect(() => process.kill(-moto.pid, 0)).toThrow();
  });

  async function createQueue(name: string, attributes: Record<string, string> = {}) {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const queueUrl = QueueUrl!;
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    return { queueUrl, queueArn: Attributes!.QueueArn! };
  }

  async function sendBodies(queueUrl: string, bodies: string[]) {
    for (let i = 0; i < bodies.length; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: bodies.slice(i, i + 10).map((body, j) => ({
            Id: String(j),
            MessageBody: body,
            MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } },
          })),
        }),
      );
    }
  }

  async function messagesOnQueue(queueUrl: string): Promise<number> {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible);
  }

  function poll(queue: { queueUrl: string; queueArn: string }, handler: SqsHandler, extra: { concurrency?: number; log?: (l: string) => void } = {}) {
    const poller = startPoller({ sqs, ...queue, handler, functionName: 'test-fn', waitTimeSeconds: 1, ...extra });
    pollers.push(poller);
    return poller;
  }

  it('deletes the successes and lets a failing message go to the DLQ after maxReceiveCount', async () => {
    const dlq = await createQueue('poller-dlq');
    const queue = await createQueue('poller-main', {
      VisibilityTimeout: '1',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: 2 }),
    });
    const bodies = Array.from({ length: 15 }, (_, i) => `msg-${i}`);
    await sendBodies(queue.queueUrl, bodies);

    const batchSizes: number[] = [];
    const seen: SQSRecord[] = [];
    const handler: SqsHandler = async (event: SQSEvent, context): Promise<SQSBatchResponse> => {
      expect(context.functionName).toBe('test-fn');
      expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
      batchSizes.push(event.Records.length);
      seen.push(...event.Records);
      const failing = event.Records.filter((r) => r.body === 'msg-7');
      return { batchItemFailures: failing.map((r) => ({ itemIdentifier: r.messageId })) };
    };
    const poller = poll(queue, handler);

    const inDlq = await waitFor(async () => {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.queueUrl, WaitTimeSeconds: 1 }));
      return Messages?.[0];
    }, 20_000);
    await poller.idle();
    await poller.stop();

    expect(inDlq.Body).toBe('msg-7');
    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(10);
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    const count = (body: string) => seen.filter((r) => r.body === body).length;
    expect(count('msg-7')).toBe(2);
    for (const body of bodies.filter((b) => b !== 'msg-7')) expect(count(body)).toBe(1);
    expect(poller.stats()).toMatchObject({ deleted: 14, failedItems: 2, handlerErrors: 0 });
    expect(await messagesOnQueue(queue.queueUrl)).toBe(0);

    const record = seen.find((r) => r.body === 'msg-3')!;
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queue.queueArn,
      awsRegion: 'us-east-1',
      md5OfBody: createHash('md5').update('msg-3').digest('hex'),
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: { kind: { stringValue: 'test', stringListValues: [], binaryListValues: [], dataType: 'String' } },
    });
    expect(record.receiptHandle).toBeTruthy();
    expect(Number(record.attributes.SentTimestamp)).toBeGreaterThan(0);
    expect(Number(record.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThan(0);
    expect(record.attributes.SenderId).toBeDefined();
    expect(seen.filter((r) => r.body === 'msg-7').map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
  });

  it('deletes nothing when the handler throws', async () => {
    const queue = await createQueue('poller-throws', { VisibilityTimeout: '30' });
    await sendBodies(queue.queueUrl, ['a', 'b', 'c']);
    const logs: string[] = [];
    const poller = poll(queue, async () => { throw new Error('boom'); }, { log: (l) => logs.push(l) });

    await poller.idle();
    await poller.stop();

    expect(poller.stats()).toMatchObject({ received: 3, deleted: 0, failedItems: 3, handlerErrors: 1 });
    expect(logs.join('\n')).toContain('boom');
    expect(await messagesOnQueue(queue.queueUrl)).toBe(3);
  });

  it('fails the whole batch for an itemIdentifier that is not in it', async () => {
    const queue = await createQueue('poller-unknown-id', { VisibilityTimeout: '30' });
    await sendBodies(queue.queueUrl, ['a', 'b']);
    const poller = poll(queue, async () => ({ batchItemFailures: [{ itemIdentifier: 'not-a-message' }] }));

    await poller.idle();
    await poller.stop();

    expect(poller.stats()).toMatchObject({ received: 2, deleted: 0, handlerErrors: 1 });
    expect(await messagesOnQueue(queue.queueUrl)).toBe(2);
  });

  it('deletes everything when the handler resolves with nothing, across concurrent loops', async () => {
    const queue = await createQueue('poller-void', { VisibilityTimeout: '30' });
    const bodies = Array.from({ length: 25 }, (_, i) => `v-${i}`);
    await sendBodies(queue.queueUrl, bodies);
    const handled: string[] = [];
    const poller = poll(queue, async (event) => { handled.push(...event.Records.map((r) => r.body)); }, { concurrency: 3 });

    await waitFor(async () => handled.length >= bodies.length || undefined, 10_000);
    await poller.idle();
    await poller.stop();

    expect([...handled].sort()).toEqual([...bodies].sort());
    expect(poller.stats()).toMatchObject({ received: 25, deleted: 25, failedItems: 0 });
    expect(await messagesOnQueue(queue.queueUrl)).toBe(0);
  });

  it('stops promptly during a long poll and starts no receive afterwards', async () => {
    const queue = await createQueue('poller-stop');
    let calls = 0;
    const poller = startPoller({ sqs, ...queue, functionName: 'test-fn', waitTimeSeconds: 10, handler: async () => { calls += 1; } });
    await new Promise((resolve) => setTimeout(resolve, 300));

    const started = Date.now();
    await poller.stop();
    expect(Date.now() - started).toBeLessThan(2_000);

    await sendBodies(queue.queueUrl, ['late']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(calls).toBe(0);
    await poller.stop(); // idempotent
    await poller.idle(); // resolves once stopped
  });

  it('backs off and keeps going when receives fail', async () => {
    const deadEndpoint = `http://127.0.0.1:${await freePort()}`;
    const broken = new SQSClient({ endpoint: deadEndpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    const logs: string[] = [];
    const poller = startPoller({
      sqs: broken,
      queueUrl: `${deadEndpoint}/123456789012/nowhere`,
      queueArn: 'arn:aws:sqs:us-east-1:123456789012:nowhere',
      functionName: 'test-fn',
      handler: async () => {},
      log: (l) => logs.push(l),
    });

    await waitFor(async () => logs.length >= 2 || undefined, 5_000);
    await poller.stop();
    broken.destroy();

    expect(logs[0]).toContain('ReceiveMessage failed');
  });
});

describe('http adapter', () => {
  const servers: ApiServer[] = [];

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  function fakes(decide: (key: string) => boolean = (key) => key === 'Bearer good') {
    const calls = { api: [] as Parameters<ApiHandler>[0][], authorizer: [] as Parameters<AuthorizerHandler>[0][] };
    const api: ApiHandler = async (event) => {
      calls.api.push(event);
      if (event.rawPath === '/v1/boom') throw new Error('api exploded');
      if (event.rawPath === '/v1/string') return '{"plain":true}';
      return {
        statusCode: 201,
        headers: { 'content-type': 'application/json', 'x-answer': 42 },
        body: JSON.stringify({ ok: true }),
        cookies: ['a=1', 'b=2; Path=/'],
      };
    };
    const authorizer: AuthorizerHandler = async (event) => {
      calls.authorizer.push(event);
      const key = event.identitySource[0] ?? '';
      if (key === 'Bearer explode') throw new Error('authorizer exploded');
      return decide(key) ? { isAuthorized: true, context: { tenantId: 'acme' } } : { isAuthorized: false };
    };
    return { api, authorizer, calls };
  }

  async function serve(overrides: Partial<ApiServerOptions> = {}) {
    const f = fakes();
    const server = await startApiServer({
      port: 0,
      api: f.api,
      authorizer: f.authorizer,
      authorizerCacheTtlSeconds: 60,
      log: () => {},
      ...overrides,
    });
    servers.push(server);
    return { ...f, server };
  }

  it('builds a payload format 2.0 event and passes the authorizer context', async () => {
    const { server, calls } = await serve();
    const res = await fetch(`${server.url}/v1/webhooks?a=1&a=2&b=x%20y`, {
      method: 'POST',
      headers: { Authorization: 'Bearer good', 'Content-Type': 'application/json', 'X-Custom': 'Yes', Cookie: 'c1=v1; c2=v2' },
      body: JSON.stringify({ hello: 'world' }),
    });

    expect(res.status).toBe(201);
    expect(res.headers.get('x-answer')).toBe('42');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2; Path=/']);
    expect(await res.json()).toEqual({ ok: true });

    const event = calls.api[0]!;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/v1/webhooks',
      rawQueryString: 'a=1&a=2&b=x%20y',
      queryStringParameters: { a: '1,2', b: 'x y' },
      cookies: ['c1=v1', 'c2=v2'],
      body: '{"hello":"world"}',
      isBase64Encoded: false,
      requestContext: {
        apiId: 'local',
        stage: '$default',
        routeKey: '$default',
        http: { method: 'POST', path: '/v1/webhooks', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
        authorizer: { lambda: { tenantId: 'acme' } },
      },
    });
    expect(event.headers['x-custom']).toBe('Yes');
    expect(event.headers.authorization).toBe('Bearer good');
    expect(event.requestContext.requestId).toBeTruthy();
    expect(event.requestContext.timeEpoch).toBeGreaterThan(0);

    const authorizerEvent = calls.authorizer[0]!;
    expect(authorizerEvent).toMatchObject({ type: 'REQUEST', identitySource: ['Bearer good'], rawPath: '/v1/webhooks' });
    expect(authorizerEvent.routeArn).toMatch(/^arn:aws:execute-api:us-east-1:\d{12}:local\/\$default\/POST\/v1\/webhooks$/);
  });

  it('base64-encodes binary bodies and answers a string result as a 200 JSON body', async () => {
    const { server, calls } = await serve();
    const res = await fetch(`${server.url}/v1/string`, {
      method: 'PUT',
      headers: { Authorization: 'Bearer good', 'Content-Type': 'application/octet-stream' },
      body: Buffer.from([0, 1, 2, 255]),
    });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('{"plain":true}');
    expect(calls.api[0]).toMatchObject({ isBase64Encoded: true, body: Buffer.from([0, 1, 2, 255]).toString('base64') });
  });

  it('answers 401 without calling the authorizer when Authorization is missing', async () => {
    const { server, calls } = await serve();
    const res = await fetch(`${server.url}/v1/webhooks`);

    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'Unauthorized' });
    expect(calls.authorizer).toHaveLength(0);
    expect(calls.api).toHaveLength(0);
  });

  it('answers 403 when the authorizer denies', async () => {
    const { server, calls } = await serve();
    const res = await fetch(`${server.url}/v1/webhooks`, { headers: { Authorization: 'Bearer bad' } });

    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ message: 'Forbidden' });
    expect(calls.api).toHaveLength(0);
  });

  it('caches decisions per identity source for the TTL', async () => {
    const cached = await serve({ authorizerCacheTtlSeconds: 60 });
    const uncached = await serve({ authorizerCacheTtlSeconds: 0 });
    for (const { server } of [cached, uncached]) {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${server.url}/v1/webhooks`, { headers: { Authorization: 'Bearer good' } });
        expect(res.status).toBe(201);
      }
    }

    expect(cached.calls.authorizer).toHaveLength(1);
    expect(uncached.calls.authorizer).toHaveLength(2);
    expect(cached.calls.api).toHaveLength(2);
  });

  it('serves /health without the authorizer', async () => {
    const { server, calls } = await serve();
    const res = await fetch(`${server.url}/health`);

    expect(res.status).toBe(201);
    expect(calls.authorizer).toHaveLength(0);
    expect(calls.api[0]?.requestContext).not.toHaveProperty('authorizer');
  });

  it('refuses bodies over the limit with 413 before any handler runs', async () => {
    const { server, calls } = await serve({ maxBodyBytes: 1024 });
    const res = await fetch(`${server.url}/v1/webhooks`, {
      method: 'POST',
      headers: { Authorization: 'Bearer good', 'Content-Type': 'application/json' },
      body: 'x'.repeat(2048),
    });

    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: 'Request Entity Too Large' });
    expect(calls.authorizer).toHaveLength(0);
    expect(calls.api).toHaveLength(0);
  });

  it('answers 500 with a generic body when the api or the authorizer throws', async () => {
    const logs: string[] = [];
    const { server } = await serve({ log: (l) => logs.push(l) });
    const apiRes = await fetch(`${server.url}/v1/boom`, { headers: { Authorization: 'Bearer good' } });
    const authRes = await fetch(`${server.url}/v1/webhooks`, { headers: { Authorization: 'Bearer explode' } });

    expect(apiRes.status).toBe(500);
    expect(await apiRes.json()).toEqual({ message: 'Internal Server Error' });
    expect(authRes.status).toBe(500);
    expect(await authRes.json()).toEqual({ message: 'Internal Server Error' });
    expect(logs.join('\n')).toContain('api exploded');
    expect(logs.join('\n')).toContain('authorizer exploded');
  });

  it('sends other paths to the fallback, else 404', async () => {
    const withFallback = await serve({
      fallback: (req, res) => {
        if (req.url !== '/console') return false;
        res.end('console');
        return true;
      },
    });
    const without = await serve();

    expect(await (await fetch(`${withFallback.server.url}/console`)).text()).toBe('console');
    const missing = await fetch(`${withFallback.server.url}/elsewhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'Not Found' });
    expect((await fetch(`${without.server.url}/console`)).status).toBe(404);
    expect(withFallback.calls.api).toHaveLength(0);
  });

  it('closes promptly with keep-alive connections open', async () => {
    const { server } = await serve();
    await (await fetch(`${server.url}/health`)).text();

    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1_500);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});

/** Polls until `probe` returns something truthy. */
async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
