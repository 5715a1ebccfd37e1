/**
 * The one way this stack makes a Lambda function: it owns the defaults (runtime, arm64,
 * memory, timeout, bundling, log group, tracing) and the grants, and each grant sets the
 * environment variable that tells the handler where the granted resource is, so a function
 * can never be given a permission without the name, or a name without the permission.
 */
import { fileURLToPath } from 'node:url';
import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  ENV,
  functionTimeoutsSeconds,
  maxBatchingWindowSeconds,
  queues,
  type EnvKey,
  type FunctionName,
  type QueueKey,
} from '../resources';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The environment of a function, keyed by `ENV` so every variable name comes from one place. */
export type FunctionEnvironment = Partial<Record<EnvKey, string>>;

/**
 * Memory per function. arm64 CPU scales with memory; 512 MB is where a bundled SDK v3 handler
 * cold-starts well. The authorizer only does one GetItem; the export streams a CSV upload.
 */
const DEFAULT_MEMORY_MB: Record<FunctionName, number> = {
  api: 512,
  authorizer: 256,
  fanout: 512,
  deliver: 512,
  export: 1024,
};

/** DynamoDB actions that write, and so also need the table key's encrypt permissions. */
const WRITE_ACTIONS = new Set([
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
]);
/** The key actions `Table.grantReadData` / `grantWriteData` use on a customer-managed key. */
const KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
const KEY_WRITE_ACTIONS = ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];

/** One least-privilege statement on a table, for functions the canned grants would over-serve. */
export interface TableStatement {
  readonly actions: readonly string[];
  /** IAM conditions, e.g. `dynamodb:LeadingKeys` or `dynamodb:Attributes`. */
  readonly conditions?: Record<string, Record<string, unknown>>;
  /** Also allow it on the table's indexes (`<table>/index/*`). Default: the table only. */
  readonly indexes?: boolean;
}

/**
 * How a function uses the table: a preset (`read`: Get/BatchGet/Query on the table and its
 * indexes; `readWrite`: those plus Put/Update/Delete/BatchWrite/ConditionCheck on the table)
 * or exactly the given statements. Neither preset has Scan: every access path is a key or
 * an index query.
 */
export type TableAccess = 'read' | 'readWrite' | readonly TableStatement[];

const READ_STATEMENT: TableStatement = {
  actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
  indexes: true,
};
const TABLE_PRESETS: Record<'read' | 'readWrite', readonly TableStatement[]> = {
  read: [READ_STATEMENT],
  readWrite: [
    READ_STATEMENT,
    // ConditionCheckItem: the check half of a TransactWriteItems (e.g. create-if-absent pairs).
    { actions: [...WRITE_ACTIONS, 'dynamodb:ConditionCheckItem'] },
  ],
};

/** `readObjects` is GetObject (enough to presign a download); `writeObjects` is a (multipart) upload. */
export type BucketAccess = 'readObjects' | 'writeObjects';

const BUCKET_ACTIONS: Record<BucketAccess, string[]> = {
  readObjects: ['s3:GetObject'],
  // PutObject covers Create/UploadPart/CompleteMultipartUpload; lib-storage's Upload aborts
  // and lists parts when an upload fails.
  writeObjects: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
};

/** Props of {@link WebhookFunction}. */
export interface WebhookFunctionProps {
  /** Which handler: `functions/<name>.ts`; also picks the timeout from `functionTimeoutsSeconds`. */
  readonly name: FunctionName;
  readonly description?: string;
  /** Default: per function, see `DEFAULT_MEMORY_MB`. */
  readonly memorySize?: number;
  /** Retention of the function's CloudWatch log group. Default one month. */
  readonly logRetention?: RetentionDays;
  /** What happens to the log group when the stack goes. Default RETAIN. */
  readonly removalPolicy?: RemovalPolicy;
  /** Variables that are not implied by a grant (flags, versions). */
  readonly environment?: FunctionEnvironment;
}

/**
 * A Node.js 22 arm64 Lambda function bundled from `functions/<name>.ts` as minified ESM,
 * with its own log group, X-Ray tracing and a role that holds only what the `use*` calls
 * grant. Every `use*` method returns `this`, so a function's access reads as one chain.
 */
export class WebhookFunction extends Construct {
  /** The underlying function, for integrations, alarms and the dashboard. */
  readonly lambda: NodejsFunction;
  /** Its execution role: no managed policies, only the grants made through this construct. */
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly name: FunctionName;

  constructor(scope: Construct, id: string, props: WebhookFunctionProps) {
    super(scope, id);
    this.name = props.name;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    // Our own role instead of AWSLambdaBasicExecutionRole: that managed policy may write to
    // any log group in the account; this one writes to the function's own group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.name} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.lambda = new NodejsFunction(this, 'Function', {
      entry: fileURLToPath(new URL(`../../functions/${props.name}.ts`, import.meta.url)),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: fileURLToPath(new URL('../../package-lock.json', import.meta.url)),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB[props.name],
      timeout: Duration.seconds(functionTimeoutsSeconds[props.name]),
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      environment: {
        // The bundle ships source maps; without this flag Node ignores them in stack traces.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        // Maps point at line numbers only: the sources would double the asset for no gain.
        sourcesContent: false,
        // Prefer the ESM builds of dependencies: they tree-shake, the CJS builds do not.
        mainFields: ['module', 'main'],
        // Bundled CommonJS dependencies still call require() for Node built-ins; an ESM
        // module has no require, so give it one.
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        // Bundle the AWS SDK v3 too instead of using the copy in the runtime: the versions
        // are then the ones in package-lock.json that the tests ran against (the runtime's
        // copy changes under us), and a tree-shaken, minified client loads faster at cold
        // start than resolving the runtime's full packages from disk.
        externalModules: [],
        // Local esbuild from node_modules/.bin: synth must work offline and without Docker.
        forceDockerBundling: false,
      },
    });

    for (const [key, value] of Object.entries(props.environment ?? {})) {
      if (value !== undefined) this.setEnv(key as EnvKey, value);
    }

    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-L1',
        reason:
          'The service targets nodejs22.x on purpose (the runtime it is tested on, esbuild target node22); moving to a newer runtime is a deliberate upgrade, not a lint fix.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only the X-Ray statement CDK adds for active tracing (xray:PutTraceSegments, xray:PutTelemetryRecords): X-Ray has no resource-level permissions.',
      },
    );
  }

  /** Sets one environment variable by its `ENV` key. */
  setEnv(key: EnvKey, value: string): this {
    this.lambda.addEnvironment(ENV[key], value);
    return this;
  }

  /**
   * Grants table access (and the matching use of the table's KMS key) and sets `TABLE_NAME`.
   * The IAM5 findings this necessarily creates (the `index/*` ARN of index reads, the
   * `kms:ReEncrypt*` / `kms:GenerateDataKey*` actions DynamoDB needs on a CMK) are
   * acknowledged here, exactly, with the reason.
   */
  useTable(table: ITable, access: TableAccess): this {
    this.setEnv('tableName', table.tableName);
    const statements = typeof access === 'string' ? TABLE_PRESETS[access] : access;
    const tableArnId = nagArnId(table);
    for (const statement of statements) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: [...statement.actions],
          resources: statement.indexes ? [table.tableArn, `${table.tableArn}/index/*`] : [table.tableArn],
          conditions: statement.conditions,
        }),
      );
      if (statement.indexes) {
        this.acknowledgeWildcard(
          `Resource::<${tableArnId}.Arn>/index/*`,
          "Reads on the table's own GSI (gsi1, the active webhooks of a tenant); the wildcard is how IAM names a table's indexes, as Table.grant* does.",
        );
      }
    }
    const writes = statements.some((statement) => statement.actions.some((action) => WRITE_ACTIONS.has(action)));
    if (table.encryptionKey) {
      table.encryptionKey.grant(this.role, ...KEY_READ_ACTIONS, ...(writes ? KEY_WRITE_ACTIONS : []));
      if (writes) {
        const reason =
          'The KMS actions DynamoDB needs to write a table encrypted with our customer-managed key (the set Table.grantWriteData uses), on that one key only.';
        this.acknowledgeWildcard('Action::kms:ReEncrypt*', reason);
        this.acknowledgeWildcard('Action::kms:GenerateDataKey*', reason);
      }
    }
    return this;
  }

  /** Grants `SendMessage` on the queue and puts its URL in `env`. */
  useQueue(env: EnvKey, queue: IQueue, access: 'send'): this;
  /**
   * Makes this function the queue's consumer: an SQS event source with the batch size,
   * concurrency and batching window of `queues[key]`, partial batch responses on.
   */
  useQueue(key: QueueKey, queue: IQueue, access: 'consume'): this;
  useQueue(key: EnvKey | QueueKey, queue: IQueue, access: 'send' | 'consume'): this {
    if (access === 'send') {
      queue.grantSendMessages(this.role);
      return this.setEnv(key as EnvKey, queue.queueUrl);
    }
    const queueKey = key as QueueKey;
    const definition = queues[queueKey];
    if (definition.consumer !== this.name) {
      throw new Error(`The ${queueKey} queue is consumed by ${definition.consumer}, not ${this.name}`);
    }
    this.lambda.addEventSource(
      new SqsEventSource(queue, {
        batchSize: definition.batchSize,
        maxBatchingWindow: Duration.seconds(maxBatchingWindowSeconds[queueKey]),
        // The handlers return batchItemFailures: one bad message must not redeliver its batch.
        reportBatchItemFailures: true,
        // Lambda's minimum is 2; the local pollers read the same number.
        maxConcurrency: Math.max(2, definition.maxConcurrency),
      }),
    );
    return this;
  }

  /**
   * Grants object access under `prefix` only and puts the bucket name in `env`. The
   * object wildcard is the only way to name "objects under a prefix", so it is acknowledged.
   */
  useBucket(env: EnvKey, bucket: IBucket, access: BucketAccess, prefix: string): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: BUCKET_ACTIONS[access],
        resources: [bucket.arnForObjects(`${prefix}*`)],
      }),
    );
    this.acknowledgeWildcard(
      `Resource::<${nagArnId(bucket)}.Arn>/${prefix}*`,
      `Object-level ${access === 'readObjects' ? 'reads (to presign downloads)' : 'writes (the CSV uploads)'} limited to the ${prefix} prefix of the export bucket; S3 names objects under a prefix only by a wildcard.`,
    );
    return this.setEnv(env, bucket.bucketName);
  }

  private acknowledgeWildcard(finding: string, reason: string): void {
    Validations.of(this).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  }
}

/** The logical id cdk-nag prints for a resource in a finding (`<LogicalId.Arn>`). */
function nagArnId(resource: Construct): string {
  const element = resource.node.defaultChild;
  if (!(element instanceof CfnElement)) {
    throw new Error(`${resource.node.path} must be defined in this app to be granted through WebhookFunction`);
  }
  return Stack.of(element).getLogicalId(element);
}
