import type { IncomingMessage, ServerResponse } from 'node:http';
import { SQSClient } from '@aws-sdk/client-sqs';
import { handler as apiHandler } from '../../functions/api';
import { handler as authorizerHandler } from '../../functions/authorizer';
import { handler as deliverHandler } from '../../functions/deliver';
import { handler as exportHandler } from '../../functions/export';
import { handler as fanoutHandler } from '../../functions/fanout';
import { documentClient, resetClients } from '../../shared/aws/clients';
import { resetConfig } from '../../shared/config';
import { TenantRepository } from '../../shared/tenants/repository';
import { ENV, functionTimeoutsSeconds, queues, type EnvKey, type QueueKey } from '../resources';
import { startApiServer, type ApiHandler, type AuthorizerHandler } from './http-adapter';
import { startMoto, type MotoServer } from './moto';
import { clientConfig, provision, type Provisioned } from './provision';
import { startPoller, type Poller, type SqsHandler } from './sqs-poller';

export interface LocalStackOptions {
  /** Management API port (0 = any free port). */
  port: number;
  /** moto's port, the AWS-compatible endpoint (0 = any free port). Ignored with `endpoint`. */
  awsPort: number;
  /** Use a moto that is already running instead of starting one. */
  endpoint?: string;
  apiKey: string;
  tenantId?: string;
  allowLoopback: boolean;
  /** Keeps parallel stacks on one moto apart (tests). */
  prefix?: string;
  /** Extra configuration for the functions, by ENV key (tests shorten timeouts). */
  config?: Partial<Record<EnvKey, string>>;
  /** Tests shorten visibility timeouts so that handed-back messages return quickly. */
  visibilityTimeoutSeconds?: Partial<Record<QueueKey, number>>;
  /** Local pollers per queue (Lambda scales further; these keep a laptop responsive). */
  pollers?: Partial<Record<QueueKey, number>>;
  fallback?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  log?: (line: string) => void;
}

export interface LocalStack {
  apiUrl: string;
  endpoint: string;
  region: string;
  apiKey: string;
  provisioned: Provisioned;
  /** Resolves when every queue has been seen empty with nothing in flight. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';
const LOCAL_POLLERS: Record<QueueKey, number> = { ingest: 2, delivery: 4, export: 1 };
const HANDLERS: Record<QueueKey, { handler: SqsHandler; name: 'fanout' | 'deliver' | 'export' }> = {
  ingest: { handler: fanoutHandler as SqsHandler, name: 'fanout' },
  delivery: { handler: deliverHandler as SqsHandler, name: 'deliver' },
  export: { handler: exportHandler as SqsHandler, name: 'export' },
};

/**
 * The functions' environment on the local stack, by ENV key: the same variables the CDK
 * stack sets (the parity test compares them), plus the endpoint override and the local
 * stack's URL rules (http and loopback targets allowed).
 */
export function localEnvironment(provisioned: Provisioned, endpoint: string, allowLoopback: boolean): Partial<Record<EnvKey, string>> {
  return {
    tableName: provisioned.names.table,
    deliveryQueueUrl: provisioned.queues.delivery.url,
    ingestDlqUrl: provisioned.queues.ingest.dlqUrl,
    exportQueueUrl: provisioned.queues.export.url,
    exportBucket: provisioned.names.exportBucket,
    awsEndpoint: endpoint,
    allowHttp: 'true',
    allowLoopback: String(allowLoopback),
    // EMF lines feed CloudWatch metrics on Lambda; locally they would only flood stdout.
    metrics: 'false',
  };
}

/**
 * Runs the whole system on this machine with the same handler code as on AWS: moto for
 * DynamoDB, SQS, S3 and EventBridge; the HTTP API adapter in front of the api function
 * (authorizer first); and pollers that feed the queues to the functions like Lambda does.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  let moto: MotoServer | undefined;
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((e) => log(`stop: ${String(e)}`));
    stops.length = 0;
    await moto?.stop();
  };
  try {
    let endpoint = options.endpoint;
    if (!endpoint) {
      moto = await startMoto({ port: options.awsPort });
      endpoint = moto.endpoint;
    }
    const target = { endpoint, region: REGION };
    const provisioned = await provision(target, options.prefix ?? '', { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds });

    // The functions read their configuration from the environment, exactly as on Lambda.
    const env = { ...localEnvironment(provisioned, endpoint, options.allowLoopback), ...options.config };
    for (const [key, value] of Object.entries(env)) process.env[ENV[key as EnvKey]] = value;
    process.env.AWS_REGION = REGION;
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
    resetConfig();
    resetClients();

    await new TenantRepository(documentClient(), provisioned.names.table).createKey(options.tenantId ?? 'local', { key: options.apiKey, label: 'local stack' });

    const sqs = new SQSClient(clientConfig(target));
    stops.push(async () => sqs.destroy());
    const pollers: Poller[] = [];
    for (const key of Object.keys(HANDLERS) as QueueKey[]) {
      const { handler, name } = HANDLERS[key];
      const poller = startPoller({
        sqs,
        queueUrl: provisioned.queues[key].url,
        queueArn: provisioned.queues[key].arn,
        handler,
        functionName: name,
        batchSize: queues[key].batchSize,
        concurrency: options.pollers?.[key] ?? LOCAL_POLLERS[key],
        functionTimeoutMs: functionTimeoutsSeconds[name] * 1000,
        log,
      });
      pollers.push(poller);
    }
    stops.push(async () => void (await Promise.all(pollers.map((p) => p.stop()))));

    const server = await startApiServer({
      port: options.port,
      api: apiHandler as unknown as ApiHandler,
      authorizer: authorizerHandler as unknown as AuthorizerHandler,
      identityHeader: null,
      authorizerCacheTtlSeconds: 0,
      fallback: options.fallback,
      log,
    });
    stops.push(() => server.close());

    return {
      apiUrl: server.url,
      endpoint,
      region: REGION,
      apiKey: options.apiKey,
      provisioned,
      idle: async () => {
        // Work moves between queues (ingest -> delivery), so wait until a full pass finds all idle.
        for (let round = 0; round < 3; round++) await Promise.all(pollers.map((p) => p.idle()));
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
