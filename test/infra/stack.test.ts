/**
 * The CDK template, asserted offline: the app is built exactly as `cdk synth` builds it
 * (cdk.json's context, cdk-nag attached) but with bundling skipped, so nothing runs
 * esbuild, Docker or AWS.
 */
import { readFileSync } from 'node:fs';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WebhookFunction } from '../../infra/constructs/webhook-function';
import {
  DELIVERY_METRICS,
  ENV,
  EXPORT_KEY_PREFIX,
  EXPORT_OBJECT_EXPIRY_DAYS,
  LOG_ITEM_PK_PREFIX,
  VISIBILITY_FACTOR,
  ingestEventPattern,
  queues,
  resourceNames,
  table as tableDefinition,
  type QueueKey,
} from '../../infra/resources';
import { buildWebhooksApp } from '../../infra/webhooks-app';
import type { WebhooksStack } from '../../infra/webhooks-stack';

const cdkJsonContext = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }
).context;

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };
type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, any>; Effect: string };

function build(context: Record<string, unknown> = {}) {
  // An empty bundling-stacks list skips NodejsFunction bundling: tests must not run esbuild.
  const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = buildWebhooksApp(app);
  const template = Template.fromStack(stack);
  return { app, stack, template, resources: template.toJSON().Resources as Record<string, Resource> };
}

const logicalId = (construct: IConstruct) => {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(element instanceof CfnElement)) throw new Error(`${construct.node.path} has no CFN element`);
  return Stack.of(element).getLogicalId(element);
};
const actionsOf = (statement: Statement) => [statement.Action].flat();
const policyStatements = (built: Built, fn: WebhookFunction): Statement[] => {
  const policy = fn.role.node.findChild('DefaultPolicy');
  return built.resources[logicalId(policy)]!.Properties.PolicyDocument.Statement as Statement[];
};
type Built = ReturnType<typeof build>;

let dev: Built;
let prod: Built;
beforeAll(() => {
  dev = build();
  prod = build({
    stage: 'prod',
    allowedPublishers: '111122223333,arn:aws:iam::444455556666:role/lms-core',
    alarmEmail: 'ops@example.com',
  });
});

describe('functions', () => {
  it('are Node.js 22 on arm64 with active tracing, a log group and a timeout from resources.ts', () => {
    // Ours, not CDK's own console-upload handler (BucketDeployment brings a Python one).
    const functions = Object.values(dev.stack.functions).map((fn) => dev.resources[logicalId(fn.lambda)]!);
    expect(functions).toHaveLength(5);
    expect(Object.keys(dev.template.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } }))).toHaveLength(5);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
    }
    for (const fn of Object.values(dev.stack.functions)) {
      expect(dev.resources[logicalId(fn.lambda)]!.Properties.Timeout).toBeGreaterThan(0);
    }
    dev.template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('get only environment variables named in resources.ts ENV', () => {
    const allowed = new Set<string>([...Object.values(ENV), 'NODE_OPTIONS']);
    for (const fn of Object.values(dev.stack.functions).map((f) => dev.resources[logicalId(f.lambda)]!)) {
      for (const name of Object.keys(fn.Properties.Environment.Variables)) expect(allowed).toContain(name);
    }
    const env = (fn: WebhookFunction) => dev.resources[logicalId(fn.lambda)]!.Properties.Environment.Variables;
    expect(Object.keys(env(dev.stack.functions.authorizer))).not.toContain(ENV.deliveryQueueUrl);
    expect(env(dev.stack.functions.api)).toMatchObject({
      [ENV.tableName]: { Ref: logicalId(dev.stack.table) },
      [ENV.deliveryQueueUrl]: { Ref: logicalId(dev.stack.queues.delivery.queue) },
      [ENV.exportQueueUrl]: { Ref: logicalId(dev.stack.queues.export.queue) },
      [ENV.exportBucket]: { Ref: logicalId(dev.stack.exportBucket) },
      [ENV.allowHttp]: 'false',
      [ENV.allowLoopback]: 'false',
      [ENV.logRetentionDays]: '30',
    });
    expect(env(dev.stack.functions.fanout)).toMatchObject({
      [ENV.ingestDlqUrl]: { Ref: logicalId(dev.stack.queues.ingest.dlq) },
    });
  });
});

describe('queues', () => {
  it.each(Object.keys(queues) as QueueKey[])(
    '%s has a DLQ (maxReceiveCount >= 5) and a visibility timeout >= 6x its consumer timeout',
    (key) => {
      const names = resourceNames();
      const { queue, dlq } = dev.stack.queues[key];
      const props = dev.resources[logicalId(queue)]!.Properties;
      expect(props.QueueName).toBe(names[`${key}Queue`]);
      expect(dev.resources[logicalId(dlq)]!.Properties.QueueName).toBe(names[`${key}Dlq`]);
      expect(props.RedrivePolicy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': [logicalId(dlq), 'Arn'] });
      expect(props.RedrivePolicy.maxReceiveCount).toBeGreaterThanOrEqual(5);
      expect(props.RedrivePolicy.maxReceiveCount).toBe(queues[key].maxReceiveCount);
      expect(props.MessageRetentionPeriod).toBe(queues[key].retentionDays * 86_400);
      expect(props.SqsManagedSseEnabled).toBe(true);

      // The consumer is whatever the event source mapping says, with the timeout it deploys with.
      const mappings = Object.values(
        dev.template.findResources('AWS::Lambda::EventSourceMapping', {
          Properties: { EventSourceArn: { 'Fn::GetAtt': [logicalId(queue), 'Arn'] } },
        }),
      ) as Resource[];
      expect(mappings).toHaveLength(1);
      const consumerId = mappings[0]!.Properties.FunctionName.Ref as string;
      expect(consumerId).toBe(logicalId(dev.stack.functions[queues[key].consumer].lambda));
      const timeout = dev.resources[consumerId]!.Properties.Timeout as number;
      expect(props.VisibilityTimeout).toBeGreaterThanOrEqual(VISIBILITY_FACTOR * timeout);
    },
  );

  it('all enforce TLS', () => {
    for (const policy of Object.values(dev.template.findResources('AWS::SQS::QueuePolicy')) as Resource[]) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
    expect(Object.keys(dev.template.findResources('AWS::SQS::QueuePolicy'))).toHaveLength(6);
  });

  it('event source mappings use the batch sizes and concurrency of resources.ts with partial batch responses', () => {
    const mappings = Object.values(dev.template.findResources('AWS::Lambda::EventSourceMapping')) as Resource[];
    expect(mappings).toHaveLength(3);
    for (const key of Object.keys(queues) as QueueKey[]) {
      const mapping = mappings.find(
        (m) => m.Properties.EventSourceArn['Fn::GetAtt'][0] === logicalId(dev.stack.queues[key].queue),
      )!;
      expect(mapping.Properties).toMatchObject({
        BatchSize: queues[key].batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: Math.max(2, queues[key].maxConcurrency) },
      });
    }
    const delivery = mappings.find(
      (m) => m.Properties.EventSourceArn['Fn::GetAtt'][0] === logicalId(dev.stack.queues.delivery.queue),
    )!;
    expect(delivery.Properties.BatchSize).toBe(10);
    expect(delivery.Properties.ScalingConfig.MaximumConcurrency).toBe(queues.delivery.maxConcurrency);
    expect(delivery.Properties.MaximumBatchingWindowInSeconds).toBeLessThanOrEqual(1);
  });
});

describe('table', () => {
  it('has the keys, GSI and TTL of resources.ts, PITR and a rotating customer-managed key', () => {
    const index = tableDefinition.indexes[0];
    dev.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
        { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: tableDefinition.ttlAttribute, Enabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
    });
    const keyRef = dev.resources[logicalId(dev.stack.table)]!.Properties.SSESpecification.KMSMasterKeyId;
    const keyId = keyRef['Fn::GetAtt'][0] as string;
    expect(dev.resources[keyId]!.Properties.EnableKeyRotation).toBe(true);
  });

  it('is protected and retained in prod only', () => {
    const devTable = dev.resources[logicalId(dev.stack.table)]!;
    const prodTable = prod.resources[logicalId(prod.stack.table)]!;
    expect(devTable.Properties.DeletionProtectionEnabled).toBe(false);
    expect(devTable.DeletionPolicy).toBe('Delete');
    expect(prodTable.Properties.DeletionProtectionEnabled).toBe(true);
    expect(prodTable.DeletionPolicy).toBe('Retain');
    expect(prod.resources[logicalId(prod.stack.exportBucket)]!.DeletionPolicy).toBe('Retain');
    expect(prod.resources[logicalId(prod.stack.queues.delivery.queue)]!.DeletionPolicy).toBe('Retain');
  });
});

describe('export bucket', () => {
  it('blocks public access, enforces its ownership and TLS, expires exports and aborts stale uploads', () => {
    const bucket = dev.resources[logicalId(dev.stack.exportBucket)]!.Properties;
    expect(bucket).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: expect.any(String) } },
    });
    expect(bucket.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: EXPORT_KEY_PREFIX, ExpirationInDays: EXPORT_OBJECT_EXPIRY_DAYS, Status: 'Enabled' }),
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
      ]),
    );
    dev.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(dev.stack.exportBucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('is not emptied by a custom resource, in any stage', () => {
    for (const built of [dev, prod]) {
      expect(Object.keys(built.template.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(0);
    }
  });
});

describe('event bus', () => {
  it("routes exactly ingestEventPattern() into the ingest queue, with retries and a DLQ", () => {
    const rules = Object.values(dev.template.findResources('AWS::Events::Rule')) as Resource[];
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties.EventPattern).toEqual(ingestEventPattern());
    expect(rules[0]!.Properties.EventBusName).toEqual({ Ref: logicalId(dev.stack.eventBus) });
    expect(rules[0]!.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [logicalId(dev.stack.queues.ingest.queue), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(dev.stack.queues.ingest.dlq), 'Arn'] } },
        RetryPolicy: expect.objectContaining({ MaximumRetryAttempts: expect.any(Number) }),
      }),
    ]);
    dev.template.hasResourceProperties('AWS::Events::EventBus', { Name: resourceNames().eventBus });
  });

  it('is archived for 30 days', () => {
    dev.template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [logicalId(dev.stack.eventBus), 'Arn'] },
      RetentionDays: 30,
    });
  });

  it('lets only the configured publishers PutEvents', () => {
    expect(Object.keys(dev.template.findResources('AWS::Events::EventBusPolicy'))).toHaveLength(0);
    prod.template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Principal: {
          AWS: [
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:root']] },
            'arn:aws:iam::444455556666:role/lms-core',
          ],
        },
        Resource: { 'Fn::GetAtt': [logicalId(prod.stack.eventBus), 'Arn'] },
      },
    });
  });
});

describe('HTTP API', () => {
  it('authorizes ANY /v1/{proxy+} with the Lambda authorizer and leaves GET /health open', () => {
    const authorizers = Object.keys(dev.template.findResources('AWS::ApiGatewayV2::Authorizer'));
    expect(authorizers).toHaveLength(1);
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      // No identity source and no gateway cache, so a request without a key still reaches
      // the authorizer and the api answers the contract's 401 body (the function caches).
      IdentitySource: [],
      AuthorizerResultTtlInSeconds: 0,
    });
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'ANY /v1/{proxy+}',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: authorizers[0] },
    });
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /health',
      AuthorizationType: 'NONE',
      AuthorizerId: Match.absent(),
    });
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { PayloadFormatVersion: '2.0' });
  });

  it('has a throttled, access-logged $default stage and no CORS unless asked', () => {
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context\\.requestId') },
    });
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.absent() });
    const withCors = build({ corsOrigins: '["https://admin.example.com"]' });
    withCors.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://admin.example.com'] }),
    });
  });
});

describe('least privilege', () => {
  it('authorizer can only GetItem on the table', () => {
    const dynamo = policyStatements(dev, dev.stack.functions.authorizer)
      .flatMap(actionsOf)
      .filter((action) => action.startsWith('dynamodb:'));
    expect(dynamo).toEqual(['dynamodb:GetItem']);
  });

  it('deliver writes only LOG# items, updates only failure-tracking attributes, and has no S3', () => {
    const statements = policyStatements(dev, dev.stack.functions.deliver);
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((action) => action.startsWith('s3:'))).toEqual([]);
    expect(actions).not.toContain('dynamodb:DeleteItem');
    expect(actions.some((action) => action === '*' || action === 'dynamodb:*')).toBe(false);
    for (const statement of statements) {
      const writes = actionsOf(statement).filter((a) => a === 'dynamodb:PutItem' || a === 'dynamodb:BatchWriteItem');
      if (writes.length > 0) {
        expect(statement.Condition).toEqual({
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${LOG_ITEM_PK_PREFIX}*`] },
        });
      }
      if (actionsOf(statement).includes('dynamodb:UpdateItem')) {
        expect(actionsOf(statement)).toEqual(['dynamodb:UpdateItem']);
        const attributes = statement.Condition?.['ForAllValues:StringEquals']?.['dynamodb:Attributes'] as string[];
        expect(attributes).toEqual(expect.arrayContaining(['pk', 'sk', 'failingSince', 'failedDeliveries', 'status']));
        expect(attributes).not.toContain('url');
        expect(attributes).not.toContain('secret');
        expect(statement.Condition?.StringEqualsIfExists?.['dynamodb:ReturnValues']).toBeDefined();
      }
    }
    expect(actions).toContain('dynamodb:PutItem');
    expect(actions).toContain('dynamodb:UpdateItem');
  });

  it('api cannot touch any dead-letter queue', () => {
    const json = JSON.stringify(policyStatements(dev, dev.stack.functions.api));
    for (const { dlq } of Object.values(dev.stack.queues)) expect(json).not.toContain(logicalId(dlq));
    expect(json).toContain('s3:GetObject');
    expect(json).not.toContain('s3:PutObject');
  });

  it('only the export function writes export objects, and only under the export prefix', () => {
    for (const fn of Object.values(dev.stack.functions)) {
      const puts = policyStatements(dev, fn).filter((statement) => actionsOf(statement).includes('s3:PutObject'));
      if (fn.name !== 'export') {
        expect(puts).toEqual([]);
        continue;
      }
      expect(puts).toHaveLength(1);
      expect(puts[0]!.Resource).toEqual({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(dev.stack.exportBucket), 'Arn'] }, `/${EXPORT_KEY_PREFIX}*`]],
      });
    }
  });

  it('no role has a managed policy or a Scan', () => {
    for (const role of Object.values(dev.template.findResources('AWS::IAM::Role')) as Resource[]) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
    for (const fn of Object.values(dev.stack.functions)) {
      expect(policyStatements(dev, fn).flatMap(actionsOf)).not.toContain('dynamodb:Scan');
    }
  });
});

describe('alarms and dashboard', () => {
  it('alarm on every DLQ holding a message, to the alarm topic', () => {
    const topicRef = { Ref: logicalId(dev.stack.alarmTopic) };
    for (const { dlq } of Object.values(dev.stack.queues)) {
      dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(dlq), 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [topicRef],
      });
    }
  });

  it('alarm on queue age, on every function error and throttle, and on API 5xx', () => {
    const ages = Object.values(
      dev.template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'ApproximateAgeOfOldestMessage' } }),
    ) as Resource[];
    expect(ages.map((alarm) => alarm.Properties.Threshold).sort((a, b) => a - b)).toEqual([300, 1800]);
    for (const metric of ['Errors', 'Throttles']) {
      const alarms = dev.template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { Namespace: 'AWS/Lambda', MetricName: metric },
      });
      expect(Object.keys(alarms)).toHaveLength(5);
    }
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Threshold: 5 });
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: Match.stringLikeRegexp('errors') })]),
      Threshold: 1,
    });
  });

  it('mails alarms when an address is configured, through an encrypted topic', () => {
    expect(Object.keys(dev.template.findResources('AWS::SNS::Subscription'))).toHaveLength(0);
    prod.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    dev.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it("graphs the delivery worker's metrics by the names in resources.ts", () => {
    const body = JSON.stringify(Object.values(dev.template.findResources('AWS::CloudWatch::Dashboard'))[0]);
    for (const name of [DELIVERY_METRICS.namespace, DELIVERY_METRICS.succeeded, DELIVERY_METRICS.failed, DELIVERY_METRICS.attemptLatency, DELIVERY_METRICS.dimension]) {
      expect(body).toContain(name);
    }
    // The README tells operators to open the dashboard by this name.
    dev.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'LmsWebhooks-dev' });
  });

  it('outputs what operators and publishers need', () => {
    for (const output of ['ApiUrl', 'ConsoleUrl', 'EventBusName', 'EventBusArn', 'TableName', 'ExportBucketName']) {
      dev.template.hasOutput(output, {});
    }
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('reports no unacknowledged errors or warnings', () => {
    for (const built of [dev, prod]) {
      // cdk-nag 3 reports through the CDK validation report, not annotations; annotations
      // are checked too so a v2-style pack or a stray Annotations error cannot slip by.
      expect(Annotations.fromStack(built.stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
      expect(Annotations.fromStack(built.stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
      const report = new AwsSolutionsChecks().validateScope(built.app);
      expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    }
  });

  it('does find violations, so the clean report above means something', () => {
    const app = new App();
    new Bucket(new Stack(app, 'Probe'), 'Bare');
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-S1');
  });
});
