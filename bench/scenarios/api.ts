/**
 * Management API latency under concurrent clients, through the local HTTP adapter (the
 * authorizer, then the api function), against the floor: a raw GetItem of the same webhook
 * item to moto at the same concurrency, the one table read a GET cannot avoid. Per route
 * there is a second floor with the same mix: GetItem for a GET, the page's Query for a list.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Agent } from 'undici';
import type { LocalStack } from '../../infra/local/stack';
import type { Webhook } from '../../shared/webhooks/model';
import type { OwnClients } from '../fixtures';
import { progress } from '../report';
import type { RequestCounter, Snapshot } from '../request-counter';

export interface ApiRun {
  getMs: number[];
  listMs: number[];
  rawMs: number[];
  /** The mixed floor: raw GetItem (even calls) and the list's raw Query (odd calls). */
  rawGetMs: number[];
  rawListMs: number[];
  snapshot: Snapshot;
  requests: number;
  concurrency: number;
}

async function concurrently(total: number, concurrency: number, call: (i: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = new Array(total);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const started = performance.now();
        await call(i);
        latencies[i] = performance.now() - started;
      }
    }),
  );
  return latencies;
}

/** Warms up, then measures the API, the GetItem floor and the per-route floor, one after the other. */
export async function runApi(args: { stack: LocalStack; clients: OwnClients; counter: RequestCounter; webhook: Webhook; requests: number; warmup: number; concurrency: number }): Promise<ApiRun> {
  const { stack, clients, counter, webhook } = args;
  // A pool as wide as the clients, keep-alive: we measure the API, not TCP handshakes.
  const agent = new Agent({ connections: args.concurrency });
  const headers = { authorization: `Bearer ${stack.apiKey}` };
  const paths = [`/v1/webhooks/${webhook.id}`, '/v1/webhooks?limit=20'];
  const call = async (i: number) => {
    const path = paths[i % 2]!;
    const res = await agent.request({ origin: stack.apiUrl, path, method: 'GET', headers });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`api bench: GET ${path} answered ${res.statusCode}: ${text.slice(0, 200)}`);
  };
  const table = stack.provisioned.names.table;
  const raw = async () => {
    const out = await clients.doc.send(new GetCommand({ TableName: table, Key: { pk: `TENANT#${webhook.tenantId}`, sk: `WH#${webhook.id}` }, ConsistentRead: true }));
    if (!out.Item) throw new Error('api bench: the webhook item is missing');
  };
  // The read a list page cannot avoid: the same key range, newest first, one page.
  const rawList = async () => {
    await clients.doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :wh)',
        ExpressionAttributeValues: { ':pk': `TENANT#${webhook.tenantId}`, ':wh': 'WH#' },
        ScanIndexForward: false,
        Limit: 25,
      }),
    );
  };
  const rawMixed = (i: number) => (i % 2 === 0 ? raw() : rawList());
  try {
    progress(`api: warm-up, ${args.warmup} requests`);
    await concurrently(args.warmup, args.concurrency, call);
    await concurrently(args.warmup, args.concurrency, rawMixed);

    progress(`api: ${args.requests} requests, ${args.concurrency} concurrent clients`);
    counter.start();
    const apiMs = await concurrently(args.requests, args.concurrency, call);
    const snapshot = counter.stop();
    progress(`api: floor, ${args.requests} GetItem, ${args.concurrency} concurrent`);
    const rawMs = await concurrently(args.requests, args.concurrency, raw);
    progress(`api: per-route floor, ${args.requests} GetItem and Query, ${args.concurrency} concurrent`);
    const mixedMs = await concurrently(args.requests, args.concurrency, rawMixed);
    return {
      getMs: apiMs.filter((_, i) => i % 2 === 0),
      listMs: apiMs.filter((_, i) => i % 2 === 1),
      rawMs,
      rawGetMs: mixedMs.filter((_, i) => i % 2 === 0),
      rawListMs: mixedMs.filter((_, i) => i % 2 === 1),
      snapshot,
      requests: args.requests,
      concurrency: args.concurrency,
    };
  } finally {
    await agent.close();
  }
}

