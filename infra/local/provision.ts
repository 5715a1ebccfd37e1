import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, PutBucketLifecycleConfigurationCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  EXPORT_KEY_PREFIX,
  EXPORT_OBJECT_EXPIRY_DAYS,
  ingestEventPattern,
  queues,
  resourceNames,
  table,
  type QueueKey,
} from '../resources';

export interface AwsTarget {
  endpoint: string;
  region: string;
}

export interface Provisioned {
  names: ReturnType<typeof resourceNames>;
  queues: Record<QueueKey, { url: string; arn: string; dlqUrl: string; dlqArn: string }>;
}

export function clientConfig(target: AwsTarget) {
  return { endpoint: target.endpoint, region: target.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

const queueNames = (names: ReturnType<typeof resourceNames>): Record<QueueKey, [string, string]> => ({
  ingest: [names.ingestQueue, names.ingestDlq],
  delivery: [names.deliveryQueue, names.deliveryDlq],
  export: [names.exportQueue, names.exportDlq],
});

/**
 * Creates the system's resources on moto from the same definitions the CDK stack reads
 * (infra/resources.ts): table keys and index, queue timeouts and redrive, the bus, the
 * rule's pattern and target, the bucket and its lifecycle.
 */
export async function provision(target: AwsTarget, prefix = '', overrides: { visibilityTimeoutSeconds?: Partial<Record<QueueKey, number>> } = {}): Promise<Provisioned> {
  const names = resourceNames(prefix);
  const cfg = clientConfig(target);
  const ddb = new DynamoDBClient(cfg);
  const sqs = new SQSClient(cfg);
  const events = new EventBridgeClient(cfg);
  const s3 = new S3Client({ ...cfg, forcePathStyle: true });
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: names.table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: table.partitionKey, AttributeType: 'S' },
          { AttributeName: table.sortKey, AttributeType: 'S' },
          ...table.indexes.flatMap((i) => [
            { AttributeName: i.partitionKey, AttributeType: 'S' as const },
            { AttributeName: i.sortKey, AttributeType: 'S' as const },
          ]),
        ],
        KeySchema: [
          { AttributeName: table.partitionKey, KeyType: 'HASH' },
          { AttributeName: table.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: table.indexes.map((i) => ({
          IndexName: i.name,
          KeySchema: [
            { AttributeName: i.partitionKey, KeyType: 'HASH' },
            { AttributeName: i.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      }),
    );
    await waitUntilTableExists({ client: ddb, maxWaitTime: 30 }, { TableName: names.table });
    await ddb.send(new UpdateTimeToLiveCommand({ TableName: names.table, TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true } }));

    const made = {} as Provisioned['queues'];
    for (const [key, [queueName, dlqName]] of Object.entries(queueNames(names)) as [QueueKey, [string, string]][]) {
      const def = queues[key];
      const retention = String(def.retentionDays * 86_400);
      const dlq = await sqs.send(new CreateQueueCommand({ QueueName: dlqName, Attributes: { MessageRetentionPeriod: String(14 * 86_400) } }));
      const dlqArn = await arnOf(sqs, dlq.QueueUrl!);
      const queue = await sqs.send(
        new CreateQueueCommand({
          QueueName: queueName,
          Attributes: {
            VisibilityTimeout: String(overrides.visibilityTimeoutSeconds?.[key] ?? def.visibilityTimeoutSeconds),
            MessageRetentionPeriod: retention,
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: def.maxReceiveCount }),
          },
        }),
      );
      made[key] = { url: queue.QueueUrl!, arn: await arnOf(sqs, queue.QueueUrl!), dlqUrl: dlq.QueueUrl!, dlqArn };
    }

    await events.send(new CreateEventBusCommand({ Name: names.eventBus }));
    await events.send(new PutRuleCommand({ Name: names.ingestRule, EventBusName: names.eventBus, EventPattern: JSON.stringify(ingestEventPattern()), State: 'ENABLED' }));
    await events.send(new PutTargetsCommand({ Rule: names.ingestRule, EventBusName: names.eventBus, Targets: [{ Id: 'ingest-queue', Arn: made.ingest.arn }] }));

    await s3.send(new CreateBucketCommand({ Bucket: names.exportBucket }));
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: names.exportBucket,
        LifecycleConfiguration: {
          Rules: [
            { ID: 'expire-exports', Status: 'Enabled', Filter: { Prefix: EXPORT_KEY_PREFIX }, Expiration: { Days: EXPORT_OBJECT_EXPIRY_DAYS } },
            { ID: 'abort-incomplete-uploads', Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
          ],
        },
      }),
    );
    return { names, queues: made };
  } finally {
    ddb.destroy();
    sqs.destroy();
    events.destroy();
    s3.destroy();
  }
}

async function arnOf(sqs: SQSClient, url: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return out.Attributes!.QueueArn!;
}
