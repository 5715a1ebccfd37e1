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
  ddb ??= DynamoDBDocumentClient.from(new DynamoDBClient({ ...common(), maxAttempts: 3 }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return ddb;
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
