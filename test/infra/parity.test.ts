/**
 * Parity: the local stack is built from the same definitions as the CDK template (queue
 * timeouts and redrive, the rule's pattern, the table's keys and indexes, the environment
 * variable names), so the two cannot drift. moto is provisioned for real and compared with
 * the synthesized template.
 */
import { readFileSync } from 'node:fs';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeRuleCommand, EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../../infra/local/moto';
import { clientConfig, provision, type Provisioned } from '../../infra/local/provision';
import { localEnvironment } from '../../infra/local/stack';
import { ENV, resourceNames, type EnvKey, type QueueKey } from '../../infra/resources';
import { buildWebhooksApp } from '../../infra/webhooks-app';

type Resource = { Type: string; Properties: Record<string, any> };
const cdkContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;

let moto: MotoServer;
let local: Provisioned;
let resources: Record<string, Resource>;
let target: ReturnType<typeof clientConfig>;

beforeAll(async () => {
  const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
  resources = Template.fromStack(buildWebhooksApp(app)).toJSON().Resources;
  moto = await startMoto({ port: 0 });
  local = await provision({ endpoint: moto.endpoint, region: 'us-east-1' });
  target = clientConfig({ endpoint: moto.endpoint, region: 'us-east-1' });
});
afterAll(async () => {
  await moto?.stop();
});

const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);
const names = resourceNames();

describe('the local stack and the CDK template', () => {
  it('have the same queues: visibility timeout, retention and redrive', async () => {
    const sqs = new SQSClient(target);
    const cfnQueues = ofType('AWS::SQS::Queue');
    const keys: [QueueKey, string][] = [
      ['ingest', names.ingestQueue],
      ['delivery', names.deliveryQueue],
      ['export', names.exportQueue],
    ];
    for (const [key, queueName] of keys) {
      const cfn = cfnQueues.find((q) => q.Properties.QueueName === queueName);
      expect(cfn, queueName).toBeDefined();
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: local.queues[key].url, AttributeNames: ['All'] }));
      expect(Number(Attributes!.VisibilityTimeout), `${queueName} visibility`).toBe(cfn!.Properties.VisibilityTimeout);
      expect(Number(Attributes!.MessageRetentionPeriod), `${queueName} retention`).toBe(cfn!.Properties.MessageRetentionPeriod);
      const redrive = JSON.parse(Attributes!.RedrivePolicy!);
      expect(Number(redrive.maxReceiveCount)).toBe(cfn!.Properties.RedrivePolicy.maxReceiveCount);
      expect(redrive.deadLetterTargetArn).toBe(local.queues[key].dlqArn);
    }
    sqs.destroy();
  });

  it('route the same event pattern from the same bus into the ingest queue', async () => {
    const events = new EventBridgeClient(target);
    const [rule] = ofType('AWS::Events::Rule');
    const described = await events.send(new DescribeRuleCommand({ Name: names.ingestRule, EventBusName: names.eventBus }));
    expect(JSON.parse(described.EventPattern!)).toEqual(rule!.Properties.EventPattern);
    const bus = ofType('AWS::Events::EventBus')[0]!;
    expect(bus.Properties.Name).toBe(names.eventBus);
    const targets = await events.send(new ListTargetsByRuleCommand({ Rule: names.ingestRule, EventBusName: names.eventBus }));
    expect(targets.Targets?.map((t) => t.Arn)).toEqual([local.queues.ingest.arn]);
    events.destroy();
  });

  it('have the same table keys, indexes and TTL attribute', async () => {
    const ddb = new DynamoDBClient(target);
    const [cfn] = ofType('AWS::DynamoDB::Table');
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: names.table }));
    const sortByName = <T extends { AttributeName?: string }>(list: T[]) => [...list].sort((a, b) => a.AttributeName!.localeCompare(b.AttributeName!));
    expect(Table!.TableName).toBe(cfn!.Properties.TableName);
    expect(Table!.KeySchema).toEqual(cfn!.Properties.KeySchema);
    expect(sortByName(Table!.AttributeDefinitions!)).toEqual(sortByName(cfn!.Properties.AttributeDefinitions));
    const gsis = (Table!.GlobalSecondaryIndexes ?? []).map((g) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection }));
    const cfnGsis = (cfn!.Properties.GlobalSecondaryIndexes as any[]).map((g) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection }));
    expect(gsis).toEqual(cfnGsis);
    const ttl = await ddb.send(new DescribeTimeToLiveCommand({ TableName: names.table }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe(cfn!.Properties.TimeToLiveSpecification.AttributeName);
    ddb.destroy();
  });

  it('give the functions environment variables of the same names', () => {
    const known = new Set<string>(Object.values(ENV));
    const cfnNames = new Set(ofType('AWS::Lambda::Function').filter((f) => String(f.Properties.Runtime).startsWith('nodejs')).flatMap((f) => Object.keys(f.Properties.Environment?.Variables ?? {})));
    const localNames = new Set(Object.keys(localEnvironment(local, moto.endpoint, true)).map((k) => ENV[k as EnvKey]));
    // Every name either side uses is one of ENV's, and the resource locations are set on both.
    for (const name of [...cfnNames].filter((n) => !n.startsWith('AWS_') && n !== 'NODE_OPTIONS')) expect(known, name).toContain(name);
    for (const name of localNames) expect(known, name).toContain(name);
    for (const key of ['tableName', 'deliveryQueueUrl', 'ingestDlqUrl', 'exportQueueUrl', 'exportBucket', 'allowHttp', 'allowLoopback'] as EnvKey[]) {
      expect(cfnNames, ENV[key]).toContain(ENV[key]);
      expect(localNames, ENV[key]).toContain(ENV[key]);
    }
    // The endpoint override exists only on the local stack.
    expect(cfnNames).not.toContain(ENV.awsEndpoint);
    expect(localNames).toContain(ENV.awsEndpoint);
  });
});
