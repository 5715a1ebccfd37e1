import * as z from 'zod';
import { AUTHORIZER_CACHE_TTL_SECONDS, ENV } from './resources';

const bool = z
  .enum(['true', 'false', '1', '0', 'on', 'off'])
  .transform((v) => v === 'true' || v === '1' || v === 'on');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  tableName: z.string().min(1),
  deliveryQueueUrl: z.string().url().optional(),
  ingestDlqUrl: z.string().url().optional(),
  exportQueueUrl: z.string().url().optional(),
  exportBucket: z.string().min(1).optional(),
  /** Set only on the local stack: every SDK client talks to this endpoint (moto). */
  awsEndpoint: z.string().url().optional(),
  allowHttp: bool.default(false),
  allowLoopback: bool.default(false),
  logRetentionDays: int(1, 3650).default(30),
  // At most 25 s: the deliver function's timeout is 30 s and a batch must finish within it.
  attemptTimeoutMs: int(100, 25_000).default(15_000),
  connectTimeoutMs: int(100, 25_000).default(5_000),
  webhookCacheTtlMs: int(0, 60_000).default(5_000),
  autoDisableAfterDays: z.coerce.number().min(0).max(365).default(5),
  autoDisableMinDeliveries: int(1, 1_000_000).default(10),
  exportUrlTtlSeconds: int(60, 7 * 24 * 3600).default(900),
  /** How long the authorizer remembers a key lookup per container (0 = never; tests). */
  authorizerCacheTtlSeconds: int(0, 3600).default(AUTHORIZER_CACHE_TTL_SECONDS),
  serviceVersion: z.string().default('0.1.0'),
  /** CloudWatch Embedded Metric Format lines from the delivery worker (off on the local stack). */
  metrics: bool.default(true),
});

export type Config = z.infer<typeof schema>;

/**
 * Parses the environment once. A bad value fails fast at cold start with a message naming
 * the variable, instead of surfacing later as a confusing runtime error.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(
    Object.entries(ENV).map(([key, name]) => [key, env[name] === '' ? undefined : env[name]]),
  );
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0]) as keyof typeof ENV;
      return `${ENV[key] ?? key}: ${issue.message}`;
    });
    throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

let cached: Config | undefined;

/** The process-wide configuration, parsed on first use. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

/** For tests and the local stack, which set the environment before the handlers start. */
export function resetConfig(): void {
  cached = undefined;
}
