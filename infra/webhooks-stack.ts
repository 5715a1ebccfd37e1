/**
 * The AWS shape of the service: table, bus, queues, bucket, functions, HTTP API, alarms and
 * dashboard. Names, keys, timeouts, redrive and the event pattern come from `resources.ts`,
 * which the local stack reads too; this file only wires them.
 */
import {
  Aws,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
  type StackProps,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Archive, EventBus, Rule, type EventPattern } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { AccountPrincipal, ArnPrincipal, PolicyStatement, ServicePrincipal, type IPrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ConsoleSite } from './constructs/console-site';
import { WebhookFunction } from './constructs/webhook-function';
import {
  DELIVER_UPDATABLE_ATTRIBUTES,
  DELIVER_UPDATE_RETURN_VALUES,
  DELIVERY_METRICS,
  EXPORT_KEY_PREFIX,
  EXPORT_OBJECT_EXPIRY_DAYS,
  LOG_ITEM_PK_PREFIX,
  ingestEventPattern,
  queues,
  resourceNames,
  table as tableDefinition,
  type QueueKey,
} from './resources';

/** Deployment stages; `prod` keeps data when the stack or a resource is removed. */
export type Stage = 'dev' | 'prod';

/** Props of {@link WebhooksStack}; {@link webhooksStackPropsFromContext} reads them from CDK context. */
export interface WebhooksStackProps extends StackProps {
  readonly stage: Stage;
  /**
   * Account ids (`123456789012`) or IAM role/user ARNs allowed to `PutEvents` on the bus
   * from outside this account. The account itself needs no entry (IAM decides there).
   */
  readonly allowedPublishers?: readonly string[];
  /** Where alarm notifications go (an SNS email subscription); none when unset. */
  readonly alarmEmail?: string;
  /** Days an attempt-log record lives (its DynamoDB TTL). Default 30 (the contract's). */
  readonly logRetentionDays?: number;
  /** Let webhook URLs use `http`. Default false: the contract wants https on AWS. */
  readonly allowHttp?: boolean;
  /** Browser origins allowed by CORS; CORS stays off when empty. */
  readonly corsOrigins?: readonly string[];
  /** Prefix for every physical name, to run two copies in one account. Default none. */
  readonly namePrefix?: string;
  /** Reported in the `user-agent` of deliveries. */
  readonly serviceVersion?: string;
}

/** API Gateway stage throttling: a tenant script looping on the API must not starve the rest. */
const API_THROTTLE = { burstLimit: 200, rateLimit: 100 } as const;
/** Ingest should drain within minutes; older means fan-out is stuck or failing. */
const INGEST_MAX_AGE_SECONDS = 300;
/**
 * Retries sit in the delivery queue as chained SQS delays of up to 900 s each, so an age of
 * 900 s is normal; twice that means the workers are not keeping up.
 */
const DELIVERY_MAX_AGE_SECONDS = 1800;
const DLQ_RETENTION = Duration.days(14);

/**
 * The whole service in one stack. Everything stateful (table, bucket, queues, keys, log
 * groups) is RETAINed in prod and destroyed with the stack in dev.
 */
export class WebhooksStack extends Stack {
  readonly table: Table;
  readonly eventBus: EventBus;
  readonly api: HttpApi;
  readonly exportBucket: Bucket;
  readonly functions: Readonly<Record<'api' | 'authorizer' | 'fanout' | 'deliver' | 'export', WebhookFunction>>;
  readonly queues: Readonly<Record<QueueKey, { queue: Queue; dlq: Queue }>>;
  readonly alarmTopic: Topic;

  constructor(scope: Construct, id: string, props: WebhooksStackProps) {
    super(scope, id, props);
    const prod = props.stage === 'prod';
    const removalPolicy = prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const names = resourceNames(props.namePrefix ?? '');

    // ---- table ---------------------------------------------------------------------------
    const tableKey = new Key(this, 'TableKey', {
      description: 'Encrypts the webhooks table (webhook secrets and delivery logs live there)',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.table = new Table(this, 'Table', {
      tableName: names.table,
      partitionKey: { name: tableDefinition.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableDefinition.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: tableDefinition.ttlAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: tableKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: prod,
      removalPolicy,
    });
    for (const index of tableDefinition.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }

    // ---- queues --------------------------------------------------------------------------
    const makeQueue = (key: QueueKey) => {
      const definition = queues[key];
      // SQS-managed SSE: encrypted at rest with no key policy for EventBridge to need.
      const common = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, removalPolicy };
      const dlq = new Queue(this, `${pascal(key)}Dlq`, {
        ...common,
        queueName: names[`${key}Dlq`],
        // The longest SQS allows: an operator needs time to read and redrive.
        retentionPeriod: DLQ_RETENTION,
      });
      const queue = new Queue(this, `${pascal(key)}Queue`, {
        ...common,
        queueName: names[`${key}Queue`],
        visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
        retentionPeriod: Duration.days(definition.retentionDays),
        deadLetterQueue: { queue: dlq, maxReceiveCount: definition.maxReceiveCount },
      });
      return { queue, dlq };
    };
    this.queues = { ingest: makeQueue('ingest'), delivery: makeQueue('delivery'), export: makeQueue('export') };
    const { ingest, delivery } = this.queues;
    const exportQueues = this.queues.export;

    // ---- event bus -----------------------------------------------------------------------
    this.eventBus = new EventBus(this, 'EventBus', { eventBusName: names.eventBus });
    const publishers = props.allowedPublishers ?? [];
    if (publishers.length > 0) {
      this.eventBus.addToResourcePolicy(
        new PolicyStatement({
          sid: 'AllowedPublishersPutEvents',
          principals: publishers.map(publisherPrincipal),
          actions: ['events:PutEvents'],
          resources: [this.eventBus.eventBusArn],
        }),
      );
    }
    const pattern = cdkEventPattern(ingestEventPattern());
    new Rule(this, 'IngestRule', {
      ruleName: names.ingestRule,
      description: 'Routes the LMS event types into the ingest queue',
      eventBus: this.eventBus,
      eventPattern: pattern,
      targets: [
        new SqsQueue(ingest.queue, {
          // EventBridge's own maximum: a throttled queue should delay events, not drop them.
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
          // The ingest DLQ, not a separate one: everything that did not make it into
          // fan-out (undeliverable, failing, or invalid) waits in one place with one alarm.
          deadLetterQueue: ingest.dlq,
        }),
      ],
    });
    // The same pattern as the rule, so a replay re-feeds exactly what ingest would have seen.
    new Archive(this, 'EventArchive', {
      sourceEventBus: this.eventBus,
      description: 'The LMS events routed to webhooks, for replay',
      eventPattern: pattern,
      retention: Duration.days(30),
    });

    // ---- export bucket -------------------------------------------------------------------
    const bucketDefaults = {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Server access logging can only write to SSE-S3 buckets, and exports need nothing
      // stronger: they are short-lived and reached through presigned URLs.
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // No autoDeleteObjects: it is a custom resource (a Lambda) that could empty the bucket
      // by accident; in dev the objects expire on their own.
      removalPolicy,
    };
    const accessLogsBucket = new Bucket(this, 'AccessLogsBucket', {
      ...bucketDefaults,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(90) }],
    });
    // cdk-nag's S1 accepts a bucket that is itself a log destination, so no acknowledgment.
    this.exportBucket = new Bucket(this, 'ExportBucket', {
      ...bucketDefaults,
      // Bucket names are global: the account and region keep the name from resources.ts unique.
      bucketName: `${names.exportBucket}-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
      serverAccessLogsBucket: accessLogsBucket,
      serverAccessLogsPrefix: 'export-bucket/',
      lifecycleRules: [
        {
          id: 'ExpireExports',
          prefix: EXPORT_KEY_PREFIX,
          expiration: Duration.days(EXPORT_OBJECT_EXPIRY_DAYS),
        },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    // ---- functions -----------------------------------------------------------------------
    const functionDefaults = {
      removalPolicy,
      environment: {
        serviceVersion: props.serviceVersion ?? '0.0.0',
        // Every record the functions write (attempts, events, export jobs) expires by it.
        logRetentionDays: String(props.logRetentionDays ?? 30),
      },
    };
    const senderFlags = {
      allowHttp: String(props.allowHttp ?? false),
      // Loopback targets are a local-stack convenience only (the contract).
      allowLoopback: 'false',
    };

    const authorizer = new WebhookFunction(this, 'AuthorizerFunction', {
      ...functionDefaults,
      name: 'authorizer',
      description: 'API key -> tenant for the HTTP API',
    }).useTable(this.table, [{ actions: ['dynamodb:GetItem'] }]);

    const api = new WebhookFunction(this, 'ApiFunction', {
      ...functionDefaults,
      name: 'api',
      description: 'The management API (/v1)',
    })
      .useTable(this.table, 'readWrite')
      // Redeliver and recover enqueue deliveries; exports and log purges are jobs.
      .useQueue('deliveryQueueUrl', delivery.queue, 'send')
      .useQueue('exportQueueUrl', exportQueues.queue, 'send')
      // Presigning a download needs GetObject in the signer's role.
      .useBucket('exportBucket', this.exportBucket, 'readObjects', EXPORT_KEY_PREFIX);
    // Validation requests and test sends go out from the API and are logged like deliveries.
    for (const [key, value] of Object.entries(senderFlags)) api.setEnv(key as keyof typeof senderFlags, value);

    const fanout = new WebhookFunction(this, 'FanoutFunction', {
      ...functionDefaults,
      name: 'fanout',
      description: 'Ingest queue -> one delivery task per active subscribed webhook',
    })
      .useQueue('ingest', ingest.queue, 'consume')
      .useTable(this.table, 'readWrite')
      .useQueue('deliveryQueueUrl', delivery.queue, 'send')
      // Invalid events are dead-lettered at once, with the reason, instead of retried.
      .useQueue('ingestDlqUrl', ingest.dlq, 'send');

    const deliver = new WebhookFunction(this, 'DeliverFunction', {
      ...functionDefaults,
      name: 'deliver',
      description: 'Signs and sends one attempt per task, logs it, schedules the retry',
    })
      .useQueue('delivery', delivery.queue, 'consume')
      // Retries are re-enqueued with a delay.
      .useQueue('deliveryQueueUrl', delivery.queue, 'send')
      .useTable(this.table, [
        { actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'] },
        {
          // Attempt records only: the worker that talks to the internet cannot create or
          // overwrite webhooks, keys or tenants.
          actions: ['dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${LOG_ITEM_PK_PREFIX}*`] } },
        },
        {
          // Failure tracking and auto-deactivation only: no URL, secret or policy changes.
          actions: ['dynamodb:UpdateItem'],
          conditions: {
            'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...DELIVER_UPDATABLE_ATTRIBUTES] },
            StringEqualsIfExists: { 'dynamodb:ReturnValues': [...DELIVER_UPDATE_RETURN_VALUES] },
          },
        },
      ]);
    for (const [key, value] of Object.entries(senderFlags)) deliver.setEnv(key as keyof typeof senderFlags, value);

    const exporter = new WebhookFunction(this, 'ExportFunction', {
      ...functionDefaults,
      name: 'export',
      description: 'Writes log CSV exports and purges cleared logs',
    })
      .useQueue('export', exportQueues.queue, 'consume')
      // Job status updates and the purge's deletes of log items.
      .useTable(this.table, 'readWrite')
      .useBucket('exportBucket', this.exportBucket, 'writeObjects', EXPORT_KEY_PREFIX);

    this.functions = { api, authorizer, fanout, deliver, export: exporter };

    // ---- HTTP API ------------------------------------------------------------------------
    const corsOrigins = props.corsOrigins ?? [];
    this.api = new HttpApi(this, 'HttpApi', {
      apiName: `${props.namePrefix ?? ''}webhooks-api`,
      description: 'LMS webhooks management API',
      // Our own $default stage below, for access logs and throttling.
      createDefaultStage: false,
      corsPreflight:
        corsOrigins.length > 0
          ? {
              allowOrigins: [...corsOrigins],
              allowHeaders: ['authorization', 'content-type'],
              allowMethods: [
                CorsHttpMethod.GET,
                CorsHttpMethod.POST,
                CorsHttpMethod.PATCH,
                CorsHttpMethod.DELETE,
                CorsHttpMethod.OPTIONS,
              ],
              maxAge: Duration.hours(1),
            }
          : undefined,
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    const stage = new HttpStage(this, 'ApiDefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // HTTP API context variables (not the REST API's standard fields); no headers, so
        // API keys never reach the logs.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            method: '$context.httpMethod',
            routeKey: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            tenantId: '$context.authorizer.tenantId',
          }),
        ),
      },
    });
    // No identity source and no gateway cache: API Gateway would otherwise answer a request
    // without Authorization itself, with a body that is not the contract's. The authorizer
    // caches key lookups per container for AUTHORIZER_CACHE_TTL_SECONDS instead, and the api
    // function answers 401 {"error": {"code": "unauthorized"}} for a missing or unknown key.
    const apiKeyAuthorizer = new HttpLambdaAuthorizer('ApiKeyAuthorizer', authorizer.lambda, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: [],
      resultsCacheTtl: Duration.seconds(0),
    });
    const integration = new HttpLambdaIntegration('ApiIntegration', api.lambda, {
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
    });
    this.api.addRoutes({ path: '/v1/{proxy+}', methods: [HttpMethod.ANY], integration, authorizer: apiKeyAuthorizer });
    const [healthRoute] = this.api.addRoutes({ path: '/health', methods: [HttpMethod.GET], integration });
    Validations.of(healthRoute!).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'GET /health is public on purpose (the contract): load balancers and uptime checks carry no API key. It returns 200 and nothing else.',
    });

    // ---- alarms --------------------------------------------------------------------------
    const topicKey = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the alarm topic',
      enableKeyRotation: true,
      removalPolicy,
    });
    // CloudWatch alarms publish to an encrypted topic only if the key lets CloudWatch use it
    // (the AWS-managed SNS key does not), hence a key of our own.
    topicKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    this.alarmTopic = new Topic(this, 'AlarmTopic', { masterKey: topicKey, enforceSSL: true });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    const alarmAction = new SnsAction(this.alarmTopic);
    const alarm = (
      id: string,
      metric: IMetric,
      threshold: number,
      description: string,
      comparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ) => {
      const created = new Alarm(this, id, {
        metric,
        threshold,
        comparisonOperator,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(alarmAction);
      created.addOkAction(alarmAction);
      return created;
    };

    for (const key of Object.keys(this.queues) as QueueKey[]) {
      alarm(
        `${pascal(key)}DlqNotEmpty`,
        this.queues[key].dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        1,
        `Messages in ${names[`${key}Dlq`]}: they will not be retried until redriven.`,
      );
    }
    alarm(
      'IngestQueueAge',
      ingest.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
      INGEST_MAX_AGE_SECONDS,
      'Published events are waiting more than 5 minutes for fan-out.',
      ComparisonOperator.GREATER_THAN_THRESHOLD,
    );
    alarm(
      'DeliveryQueueAge',
      delivery.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
      DELIVERY_MAX_AGE_SECONDS,
      'Deliveries are waiting more than 30 minutes (retries alone wait at most 15).',
      ComparisonOperator.GREATER_THAN_THRESHOLD,
    );
    for (const fn of Object.values(this.functions)) {
      const label = pascal(fn.name);
      alarm(
        `${label}Errors`,
        fn.lambda.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        1,
        `The ${fn.name} function threw (receiver failures are not errors; these are ours).`,
      );
      alarm(
        `${label}Throttles`,
        fn.lambda.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
        1,
        `The ${fn.name} function was throttled (account concurrency).`,
      );
    }
    const api5xx = this.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' });
    const apiCount = this.api.metricCount({ period: Duration.minutes(5), statistic: 'Sum' });
    alarm(
      'Api5xxRate',
      new MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: { errors: api5xx, requests: apiCount },
        period: Duration.minutes(5),
        label: 'API 5xx %',
      }),
      1,
      'More than 1% of API requests failed with a 5xx in 5 minutes.',
      ComparisonOperator.GREATER_THAN_THRESHOLD,
    );
    alarm('Api5xxCount', api5xx, 5, 'At least five API 5xx responses in 5 minutes.');

    // ---- dashboard -----------------------------------------------------------------------
    const byEventType = (metricName: string, statistic: string, label: string) =>
      new MathExpression({
        expression: `SEARCH('{${DELIVERY_METRICS.namespace},${DELIVERY_METRICS.dimension}} MetricName="${metricName}"', '${statistic}', 300)`,
        usingMetrics: {},
        label,
        period: Duration.minutes(5),
      });
    const fns = Object.values(this.functions);
    const queueEntries = Object.entries(this.queues) as [QueueKey, { queue: Queue; dlq: Queue }][];
    const dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `${props.namePrefix ?? ''}LmsWebhooks-${props.stage}`, defaultInterval: Duration.hours(3) });
    dashboard.addWidgets(
      new TextWidget({
        markdown: `# LMS webhooks (${props.stage})\nDeliveries come from the delivery worker's EMF metrics (namespace \`${DELIVERY_METRICS.namespace}\`).`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Deliveries succeeded / failed by event type',
        left: [
          byEventType(DELIVERY_METRICS.succeeded, 'Sum', 'succeeded'),
          byEventType(DELIVERY_METRICS.failed, 'Sum', 'failed'),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Attempt latency (ms) p50 / p99',
        left: [
          byEventType(DELIVERY_METRICS.attemptLatency, 'p50', 'p50'),
          byEventType(DELIVERY_METRICS.attemptLatency, 'p99', 'p99'),
        ],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Queue depth (visible)',
        left: queueEntries.map(([key, { queue }]) =>
          queue.metricApproximateNumberOfMessagesVisible({ label: key, statistic: 'Maximum' }),
        ),
        right: queueEntries.map(([key, { dlq }]) =>
          dlq.metricApproximateNumberOfMessagesVisible({ label: `${key} DLQ`, statistic: 'Maximum' }),
        ),
        width: 12,
      }),
      new GraphWidget({
        title: 'Age of oldest message (s)',
        left: queueEntries.map(([key, { queue }]) =>
          queue.metricApproximateAgeOfOldestMessage({ label: key, statistic: 'Maximum' }),
        ),
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Function errors',
        left: fns.map((fn) => fn.lambda.metricErrors({ label: fn.name, statistic: 'Sum' })),
        width: 12,
      }),
      new GraphWidget({
        title: 'Function duration p99 (ms)',
        left: fns.map((fn) => fn.lambda.metricDuration({ label: fn.name, statistic: 'p99' })),
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'API 4xx / 5xx',
        left: [
          this.api.metricClientError({ label: '4xx', statistic: 'Sum' }),
          this.api.metricServerError({ label: '5xx', statistic: 'Sum' }),
        ],
        right: [this.api.metricCount({ label: 'requests', statistic: 'Sum' })],
        width: 12,
      }),
      new GraphWidget({
        title: 'API latency (ms)',
        left: [
          this.api.metricLatency({ label: 'p50', statistic: 'p50' }),
          this.api.metricLatency({ label: 'p99', statistic: 'p99' }),
        ],
        width: 12,
      }),
    );

    // ---- outputs -------------------------------------------------------------------------
    new CfnOutput(this, 'ApiUrl', { value: stage.url, description: 'Base URL of the management API' });

    // The admin console: S3 + CloudFront, with /v1/* and /health routed to the HTTP API so
    // the console and the API share one origin (no CORS, the same public API as curl).
    const site = new ConsoleSite(this, 'Console', {
      apiDomainName: `${this.api.apiId}.execute-api.${this.region}.${this.urlSuffix}`,
      removalPolicy,
    });
    new CfnOutput(this, 'ConsoleUrl', { value: site.url, description: 'The admin console (and the API on the same origin)' });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName, description: 'Publishers PutEvents here' });
    new CfnOutput(this, 'EventBusArn', { value: this.eventBus.eventBusArn });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'ExportBucketName', { value: this.exportBucket.bucketName });
  }
}

/**
 * Reads the stack's props from CDK context (`-c key=value` or cdk.json), failing with a
 * message that names the key. Lists may be JSON arrays or comma-separated strings.
 */
export function webhooksStackPropsFromContext(scope: Construct): Omit<WebhooksStackProps, keyof StackProps> {
  const get = (key: string): unknown => scope.node.tryGetContext(key);
  const stage = get('stage') ?? 'dev';
  if (stage !== 'dev' && stage !== 'prod') {
    throw new Error(`Context "stage" must be dev or prod, got ${JSON.stringify(stage)}`);
  }
  const allowedPublishers = contextList(get('allowedPublishers'), 'allowedPublishers');
  for (const publisher of allowedPublishers) publisherPrincipal(publisher);
  const alarmEmail = get('alarmEmail');
  if (alarmEmail !== undefined && (typeof alarmEmail !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(alarmEmail))) {
    throw new Error(`Context "alarmEmail" must be an email address, got ${JSON.stringify(alarmEmail)}`);
  }
  const rawDays = get('logRetentionDays');
  const logRetentionDays = rawDays === undefined ? 30 : Number(rawDays);
  if (!Number.isInteger(logRetentionDays) || logRetentionDays < 1) {
    throw new Error(`Context "logRetentionDays" must be a whole number of days >= 1, got ${JSON.stringify(rawDays)}`);
  }
  const rawHttp = get('allowHttp');
  if (rawHttp !== undefined && !['true', 'false', true, false].includes(rawHttp as string | boolean)) {
    throw new Error(`Context "allowHttp" must be true or false, got ${JSON.stringify(rawHttp)}`);
  }
  const namePrefix = get('namePrefix');
  if (namePrefix !== undefined && (typeof namePrefix !== 'string' || !/^[a-z0-9-]*$/.test(namePrefix))) {
    throw new Error(`Context "namePrefix" must be lowercase letters, digits and dashes, got ${JSON.stringify(namePrefix)}`);
  }
  return {
    stage,
    allowedPublishers,
    alarmEmail: alarmEmail || undefined,
    logRetentionDays,
    allowHttp: rawHttp === true || rawHttp === 'true',
    corsOrigins: contextList(get('corsOrigins'), 'corsOrigins'),
    namePrefix: (namePrefix as string | undefined) ?? '',
    serviceVersion: typeof get('serviceVersion') === 'string' ? (get('serviceVersion') as string) : undefined,
  };
}

function contextList(value: unknown, key: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  if (typeof value === 'string') {
    if (value.trim().startsWith('[')) return contextList(JSON.parse(value) as unknown, key);
    return value.split(',').map((item) => item.trim()).filter(Boolean);
  }
  throw new Error(`Context "${key}" must be a list of strings (JSON array or comma-separated), got ${JSON.stringify(value)}`);
}

/** An account id or an IAM role/user ARN, as the principal of the bus policy. */
function publisherPrincipal(publisher: string): IPrincipal {
  if (/^\d{12}$/.test(publisher)) return new AccountPrincipal(publisher);
  if (/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/.test(publisher)) return new ArnPrincipal(publisher);
  throw new Error(`allowedPublishers: ${JSON.stringify(publisher)} is neither a 12-digit account id nor an IAM role/user ARN`);
}

/**
 * resources.ts writes the pattern as EventBridge JSON (`detail-type`); CDK's EventPattern
 * spells the same fields in camelCase (`detailType`) and renders them back.
 */
function cdkEventPattern(pattern: Record<string, unknown>): EventPattern {
  return Object.fromEntries(
    Object.entries(pattern).map(([key, value]) => [key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), value]),
  ) as EventPattern;
}

function pascal(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}
