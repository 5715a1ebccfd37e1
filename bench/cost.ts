/**
 * The cost model: measured requests, units and durations priced with AWS's public prices.
 * The memory sizes come from the CDK stack itself (built in-process with bundling skipped).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './lambda-bundle';
import type { FunctionKey } from './scenarios/bundles';

/**
 * us-east-1 list prices, 2026. Lambda arm64 and requests, SQS standard, DynamoDB on-demand
 * (after the November 2024 cut), EventBridge custom events, CloudWatch Logs standard
 * ingestion, DynamoDB standard storage. Checked against 2025-2026 summaries of the AWS price
 * pages; the pages themselves cannot be fetched from this machine.
 */
export const PRICES = {
  asOf: '2026 (us-east-1)',
  lambdaGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  sqsPerMillionRequests: 0.4,
  ddbPerMillionWru: 0.625,
  ddbPerMillionRru: 0.125,
  eventBridgePerMillionEvents: 1.0,
  logsPerGbIngested: 0.5,
  ddbStoragePerGbMonth: 0.25,
} as const;

/** Lambda's own START, END and REPORT lines per invocation (REPORT with an X-Ray trace id): an estimate. */
export const LAMBDA_PLATFORM_LOG_BYTES = 350;

/** The prices used, for the notes. */
export function describePrices(): string {
  return (
    `prices ${PRICES.asOf}: Lambda arm64 $${PRICES.lambdaGbSecond}/GB-s + $${PRICES.lambdaPerMillionRequests}/1M invocations; ` +
    `SQS $${PRICES.sqsPerMillionRequests}/1M requests (per 64 KiB); DynamoDB on-demand $${PRICES.ddbPerMillionWru}/1M WRU, $${PRICES.ddbPerMillionRru}/1M RRU, ` +
    `storage $${PRICES.ddbStoragePerGbMonth}/GB-month; EventBridge $${PRICES.eventBridgePerMillionEvents}/1M events; CloudWatch Logs $${PRICES.logsPerGbIngested}/GB`
  );
}

/** Everything one successful delivery costs, in units. */
export interface PerDelivery {
  /** Billed Lambda milliseconds (each invocation rounded up to 1 ms), per function. */
  lambdaMs: Partial<Record<FunctionKey, number>>;
  invocations: Partial<Record<FunctionKey, number>>;
  sqsBilled: number;
  wru: number;
  rru: number;
  eventBridgeEvents: number;
  logBytes: number;
  /** Bytes kept in the table for the retention period (the attempt record and its share of the event). */
  storedBytes: number;
  retentionDays: number;
}

export interface Cost {
  total: number;
  lines: Record<string, number>;
}

/** US dollars per million successful deliveries. */
export function costPerMillion(unit: PerDelivery, memoryMb: Record<FunctionKey, number>): Cost {
  const million = 1_000_000;
  let lambdaCompute = 0;
  let lambdaRequests = 0;
  for (const [fn, ms] of Object.entries(unit.lambdaMs) as [FunctionKey, number][]) {
    lambdaCompute += (ms / 1000) * (memoryMb[fn] / 1024) * PRICES.lambdaGbSecond * million;
  }
  for (const count of Object.values(unit.invocations)) lambdaRequests += (count ?? 0) * PRICES.lambdaPerMillionRequests;
  const lines = {
    lambda_compute: lambdaCompute,
    lambda_requests: lambdaRequests,
    sqs: unit.sqsBilled * PRICES.sqsPerMillionRequests,
    dynamodb_writes: unit.wru * PRICES.ddbPerMillionWru,
    dynamodb_reads: unit.rru * PRICES.ddbPerMillionRru,
    eventbridge: unit.eventBridgeEvents * PRICES.eventBridgePerMillionEvents,
    cloudwatch_logs: ((unit.logBytes * million) / 1024 ** 3) * PRICES.logsPerGbIngested,
    dynamodb_storage: ((unit.storedBytes * million) / 1024 ** 3) * (unit.retentionDays / 30) * PRICES.ddbStoragePerGbMonth,
  };
  return { total: Object.values(lines).reduce((a, b) => a + b, 0), lines };
}

/** The cost's lines, for the notes. */
export function describeCost(cost: Cost): string {
  return Object.entries(cost.lines)
    .map(([name, usd]) => `${name} $${usd.toFixed(3)}`)
    .join(', ');
}

/** Today's construct defaults, if neither the stack nor the construct can be read. */
const ASSUMED_MEMORY: Record<FunctionKey, number> = { api: 512, authorizer: 256, fanout: 512, deliver: 512, export: 1024 };

/**
 * Memory per function as the CDK stack configures it: the app is built in-process exactly
 * as `cdk synth` builds it, with NodejsFunction bundling skipped (no esbuild, no AWS).
 * Falls back to the construct's DEFAULT_MEMORY_MB, then to an assumption, saying which.
 */
export async function functionMemory(): Promise<{ memoryMb: Record<FunctionKey, number>; source: string }> {
  try {
    const { App } = await import('aws-cdk-lib');
    const { CfnFunction } = await import('aws-cdk-lib/aws-lambda');
    const { buildWebhooksApp } = await import('../infra/webhooks-app');
    const context = (JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
    const stack = buildWebhooksApp(new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } }));
    const memoryMb = { ...ASSUMED_MEMORY };
    for (const name of Object.keys(memoryMb) as FunctionKey[]) {
      const cfn = stack.functions[name].lambda.node.defaultChild;
      const size = cfn instanceof CfnFunction ? cfn.memorySize : undefined;
      if (typeof size !== 'number') throw new Error(`no memorySize on ${name}`);
      memoryMb[name] = size;
    }
    return { memoryMb, source: 'the CDK stack (infra/webhooks-stack.ts, built with bundling skipped)' };
  } catch (error) {
    try {
      const text = readFileSync(join(REPO_ROOT, 'infra/constructs/webhook-function.ts'), 'utf8');
      const block = /DEFAULT_MEMORY_MB[^{]*\{([^}]*)\}/.exec(text)?.[1] ?? '';
      const memoryMb = { ...ASSUMED_MEMORY };
      let found = 0;
      for (const name of Object.keys(memoryMb) as FunctionKey[]) {
        const match = new RegExp(`\\b${name}:\\s*(\\d+)`).exec(block);
        if (match) {
          memoryMb[name] = Number(match[1]);
          found += 1;
        }
      }
      if (found === 5) return { memoryMb, source: `the construct's DEFAULT_MEMORY_MB (stack not built: ${String(error).slice(0, 80)})` };
    } catch {
      // fall through to the assumption
    }
    return { memoryMb: { ...ASSUMED_MEMORY }, source: 'assumed (neither the stack nor the construct could be read)' };
  }
}
