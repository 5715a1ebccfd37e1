/**
 * The shape of the system's resources, read by the CDK stack, the local stack and the functions,
 * so that names, keys, indexes, timeouts, redrive and the event pattern cannot drift.
 * Plain data only: no CDK or SDK imports here.
 */
import { EVENT_TYPES } from './events/types';

/** Logical names; a prefix keeps parallel local stacks (tests) apart. */
export function resourceNames(prefix = '') {
  return {
    table: `${prefix}webhooks`,
    eventBus: `${prefix}lms-events`,
    ingestRule: `${prefix}lms-events-to-ingest`,
    ingestQueue: `${prefix}webhooks-ingest`,
    ingestDlq: `${prefix}webhooks-ingest-dlq`,
    deliveryQueue: `${prefix}webhooks-delivery`,
    deliveryDlq: `${prefix}webhooks-delivery-dlq`,
    exportQueue: `${prefix}webhooks-export`,
    exportDlq: `${prefix}webhooks-export-dlq`,
    exportBucket: `${prefix}webhooks-exports`,
  };
}
export type ResourceNames = ReturnType<typeof resourceNames>;

/** Single-table design: generic keys, one sparse GSI for the active webhooks of a tenant. */
export const table = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  indexes: [
    {
      name: 'gsi1',
      partitionKey: 'gsi1pk',
      sortKey: 'gsi1sk',
    },
  ],
} as const;

/** Each consumer function's timeout; the queue's visibility timeout is 6x that (AWS guidance). */
export const functionTimeoutsSeconds = {
  api: 29,
  authorizer: 5,
  fanout: 30,
  deliver: 30,
  // Lambda's maximum: an export streams every matching record; big ones on a slow backend need it.
  export: 900,
} as const;

export const VISIBILITY_FACTOR = 6;
export const MAX_RECEIVE_COUNT = 5;

export type QueueKey = 'ingest' | 'delivery' | 'export';

/** Queue definitions: which function consumes it, its timeout and redrive. */
export const queues: Record<
  QueueKey,
  {
    consumer: 'fanout' | 'deliver' | 'export';
    visibilityTimeoutSeconds: number;
    maxReceiveCount: number;
    retentionDays: number;
    batchSize: number;
    /** Lambda's maximum concurrency for the event source mapping (and local pollers). */
    maxConcurrency: number;
  }
> = {
  ingest: {
    consumer: 'fanout',
    visibilityTimeoutSeconds: functionTimeoutsSeconds.fanout * VISIBILITY_FACTOR,
    maxReceiveCount: MAX_RECEIVE_COUNT,
    retentionDays: 14,
    batchSize: 10,
    maxConcurrency: 10,
  },
  delivery: {
    consumer: 'deliver',
    visibilityTimeoutSeconds: functionTimeoutsSeconds.deliver * VISIBILITY_FACTOR,
    maxReceiveCount: MAX_RECEIVE_COUNT,
    retentionDays: 14,
    batchSize: 10,
    maxConcurrency: 50,
  },
  export: {
    consumer: 'export',
    visibilityTimeoutSeconds: functionTimeoutsSeconds.export * VISIBILITY_FACTOR,
    maxReceiveCount: MAX_RECEIVE_COUNT,
    retentionDays: 4,
    batchSize: 1,
    maxConcurrency: 2,
  },
};

/** The EventBridge rule that routes the four event types into the ingest queue. */
export function ingestEventPattern() {
  return { 'detail-type': [...EVENT_TYPES] };
}

/** Export objects expire after this many days; incomplete uploads are aborted after one. */
export const EXPORT_OBJECT_EXPIRY_DAYS = 7;
export const EXPORT_KEY_PREFIX = 'exports/';

/** The authorizer caches key lookups per container this long; a revoked key stops working within it. The AUTHORIZER_CACHE_TTL_SECONDS variable overrides it. */
export const AUTHORIZER_CACHE_TTL_SECONDS = 60;

/**
 * The environment variables the functions read (shared/config.ts parses them). The CDK
 * stack and the local stack both build the environment from these names.
 */
export const ENV = {
  tableName: 'TABLE_NAME',
  deliveryQueueUrl: 'DELIVERY_QUEUE_URL',
  ingestDlqUrl: 'INGEST_DLQ_URL',
  exportQueueUrl: 'EXPORT_QUEUE_URL',
  exportBucket: 'EXPORT_BUCKET',
  awsEndpoint: 'WEBHOOKS_AWS_ENDPOINT',
  allowHttp: 'WEBHOOKS_ALLOW_HTTP',
  allowLoopback: 'WEBHOOKS_ALLOW_LOOPBACK',
  logRetentionDays: 'LOG_RETENTION_DAYS',
  attemptTimeoutMs: 'ATTEMPT_TIMEOUT_MS',
  connectTimeoutMs: 'CONNECT_TIMEOUT_MS',
  webhookCacheTtlMs: 'WEBHOOK_CACHE_TTL_MS',
  autoDisableAfterDays: 'AUTO_DISABLE_AFTER_DAYS',
  autoDisableMinDeliveries: 'AUTO_DISABLE_MIN_DELIVERIES',
  exportUrlTtlSeconds: 'EXPORT_URL_TTL_SECONDS',
  authorizerCacheTtlSeconds: 'AUTHORIZER_CACHE_TTL_SECONDS',
  serviceVersion: 'SERVICE_VERSION',
  metrics: 'WEBHOOKS_METRICS',
} as const;
export type EnvKey = keyof typeof ENV;

/** The Lambda functions, one per entry file under `functions/`; keyed like their timeouts. */
export type FunctionName = keyof typeof functionTimeoutsSeconds;

/**
 * How long the event source mapping (and a local poller) may wait to fill a batch. Delivery
 * does not wait: a receiver should get the event as soon as it is published. Ingest waits
 * up to 1 s so that a burst from one tenant shares one webhook lookup per batch.
 */
export const maxBatchingWindowSeconds: Record<QueueKey, number> = {
  ingest: 1,
  delivery: 0,
  export: 0,
};

/**
 * The delivery worker's CloudWatch embedded-metric-format metrics. The worker emits them and
 * the dashboard graphs them, both from these names.
 */
export const DELIVERY_METRICS = {
  namespace: 'LmsWebhooks',
  succeeded: 'DeliverySucceeded',
  failed: 'DeliveryFailed',
  /** Milliseconds from sending the request to the end of the response (or the failure). */
  attemptLatency: 'AttemptLatency',
  dimension: 'EventType',
} as const;

/**
 * Partition-key prefix of attempt-log items. On AWS the delivery worker may put items only
 * under this prefix (an IAM `dynamodb:LeadingKeys` condition), so the log repository must
 * key attempt records with it.
 */
export const LOG_ITEM_PK_PREFIX = 'LOG#';

/**
 * The only attributes the delivery worker may name in an `UpdateItem` (its failure
 * tracking and auto-deactivation): IAM refuses an update, a condition expression included,
 * that names any other attribute. The keys must be listed because every request names them.
 */
export const DELIVER_UPDATABLE_ATTRIBUTES = [
  table.partitionKey,
  table.sortKey,
  ...table.indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  'failingSince',
  'failedDeliveries',
  'status',
  'deactivatedReason',
  'updatedAt',
  'version',
] as const;

/**
 * `ReturnValues` the delivery worker may ask of that `UpdateItem`. ALL_NEW is allowed because
 * the failure counter returns the whole webhook to decide on deactivation, and the worker
 * may read webhooks anyway; ALL_OLD is not needed, so it is not allowed.
 */
export const DELIVER_UPDATE_RETURN_VALUES = ['NONE', 'UPDATED_OLD', 'UPDATED_NEW', 'ALL_NEW'] as const;

/** The generic index, as repositories query it. */
export const GSI1 = { name: table.indexes[0].name, partitionKey: table.indexes[0].partitionKey } as const;
