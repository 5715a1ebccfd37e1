import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { config } from '../config';

/**
 * SDK clients, built once per container. The endpoint override is the one place where the
 * local stack (moto) differs from AWS; everything else is the same code.
 */
function common() {
  const endpoint = config().awsEndpoint;
  return endpoint
    ? {
        endpoint,
        region: process.env.AWS_REGION ?? 'us-east-1',
        credentials: {
          accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local',
          secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
        },
      }
    : {};
}

let ddb: DynamoDBDocumentClient | undefined;
let sqs: SQSClient | undefined;
let s3: S3Client | undefined;

export function documentClient(): DynamoDBDocumentClient {
  if (!ddb) {
    const client = new DynamoDBClient({ ...common(), maxAttempts: 3 });
    if (config().awsEndpoint) serializeConditionalWrites(client);
    ddb = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }
  return ddb;
}

/**
 * moto checks a write's condition and applies the write without a lock, so two concurrent
 * conditional writes to one item can both pass, which DynamoDB never allows (the webhook
 * version check relies on it). The local stack is one process, so there its conditional
 * writes to the same item run one at a time. Not used on AWS.
 */
export function serializeConditionalWrites(client: DynamoDBClient): DynamoDBClient {
  const tails = new Map<string, Promise<unknown>>();
  const keyPart = (value: unknown) => (value && typeof value === 'object' ? JSON.stringify(value) : String(value));
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { TableName?: string; ConditionExpression?: string; Key?: Record<string, unknown>; Item?: Record<string, unknown> };
      const key = input.Key ?? input.Item;
      if (!input.ConditionExpression || !input.TableName || !key) return next(args);
      const id = `${input.TableName}|${keyPart(key.pk)}|${keyPart(key.sk)}`;
      const run = (tails.get(id) ?? Promise.resolve()).catch(() => undefined).then(() => next(args));
      tails.set(id, run);
      try {
        return await run;
      } finally {
        if (tails.get(id) === run) tails.delete(id);
      }
    },
    { step: 'initialize', name: 'serializeConditionalWritesOnMoto' },
  );
  return client;
}

export function sqsClient(): SQSClient {
  sqs ??= new SQSClient({ ...common(), maxAttempts: 3 });
  return sqs;
}

export function s3Client(): S3Client {
  // Path-style so that presigned links point at the local endpoint (http://127.0.0.1:4566/bucket/key).
  s3 ??= new S3Client({ ...common(), forcePathStyle: Boolean(config().awsEndpoint) });
  return s3;
}

/** Drops the cached clients (tests that restart moto). */
export function resetClients(): void {
  ddb = undefined;
  sqs = undefined;
  s3 = undefined;
}
