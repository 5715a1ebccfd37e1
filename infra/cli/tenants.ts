/**
 * `npm run tenants -- <command>`: API keys per tenant, against the local stack by default or
 * a deployed table with `--aws`. Keys are stored only as hashes; `create` prints a key once.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { apiKeyIdSchema, keyLabelSchema, tenantIdSchema, TenantRepository, type ApiKeyInfo } from '../../shared/tenants/repository';
import { AUTHORIZER_CACHE_TTL_SECONDS, resourceNames } from '../resources';

/** The CDK app names its stack `LmsWebhooks-<stage>` (infra/webhooks-app.ts); stage defaults to dev. */
const DEFAULT_STACK = 'LmsWebhooks-dev';
// The SDK's notice about future Node 22 requirements would bury the key this prints.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const LOCAL_REGION = 'us-east-1';

const USAGE = `Usage: npm run tenants -- <command> [options]

Commands:
  create <tenantId> [--label LABEL]  create an API key for the tenant; the key is printed once
  list <tenantId>                    list the tenant's keys (id, status, created, revoked, label)
  revoke <keyId>                     revoke a key; it stops working within ${AUTHORIZER_CACHE_TTL_SECONDS} s

Target (default: the local stack of \`npm start\`, at http://127.0.0.1:$AWS_ENDPOINT_PORT, default 4566):
  --aws            the deployed table, with the usual AWS credentials chain (AWS_PROFILE, AWS_REGION, ...)
  --table NAME     with --aws: the table's name
  --stack NAME     with --aws: read the table name from this CloudFormation stack's TableName output
                   (default ${DEFAULT_STACK})
  --json           print JSON instead of text
  -h, --help       this text`;

/** A mistake in the command line: printed with the usage, exit code 2. */
class UsageError extends Error {}
/** Something the user can fix (stack not running, unknown key): printed alone, exit code 1. */
class CliError extends Error {}

interface Parsed {
  command: 'create' | 'list' | 'revoke';
  arg: string;
  label?: string;
  aws: boolean;
  table?: string;
  stack?: string;
  json: boolean;
}

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new UsageError(`${what}: ${result.error.issues[0]?.message ?? 'not valid'}`);
  return result.data;
}

function parse(argv: string[]): Parsed | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        label: { type: 'string' },
        aws: { type: 'boolean', default: false },
        table: { type: 'string' },
        stack: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    // parseArgs says which option it did not know or which value is missing.
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [command, arg, ...rest] = positionals;
  if (!command) throw new UsageError('Missing command: create, list or revoke.');
  if (command !== 'create' && command !== 'list' && command !== 'revoke') {
    throw new UsageError(`Unknown command "${command}": use create, list or revoke.`);
  }
  if (!arg) throw new UsageError(command === 'revoke' ? 'Missing <keyId>: revoke key_...' : `Missing <tenantId>: ${command} <tenantId>.`);
  if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}".`);
  if (values.label !== undefined && command !== 'create') throw new UsageError('--label goes with create only.');
  if ((values.table !== undefined || values.stack !== undefined) && !values.aws) {
    throw new UsageError('--table and --stack choose a deployed table: add --aws.');
  }
  if (values.table !== undefined && values.stack !== undefined) throw new UsageError('Give --table or --stack, not both.');
  if (command === 'revoke') check(apiKeyIdSchema, arg, `"${arg}" is not a key id`);
  else check(tenantIdSchema, arg, `"${arg}" is not a tenant id`);
  return {
    command,
    arg,
    label: values.label === undefined ? undefined : check(keyLabelSchema, values.label, '--label'),
    aws: values.aws ?? false,
    table: values.table,
    stack: values.stack,
    json: values.json ?? false,
  };
}

function causeCode(error: unknown): string | undefined {
  const e = error as { code?: string; cause?: unknown; errors?: unknown[] };
  return e?.code ?? causeCode(e?.cause) ?? (Array.isArray(e?.errors) ? e.errors.map(causeCode).find(Boolean) : undefined);
}

function isConnectionFailure(error: unknown): boolean {
  return ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT'].includes(causeCode(error) ?? '');
}

interface Target {
  db: DynamoDBDocumentClient;
  table: string;
  where: string;
  destroy(): void;
}

/** The local stack: moto on loopback, the table of resourceNames(), any credentials. */
async function localTarget(env: NodeJS.ProcessEnv): Promise<Target> {
  const port = check(z.coerce.number().int().min(1).max(65535).default(4566), env.AWS_ENDPOINT_PORT || undefined, 'AWS_ENDPOINT_PORT');
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const table = resourceNames().table;
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
  } catch (error) {
    client.destroy();
    if (isConnectionFailure(error)) {
      throw new CliError(`The local stack is not running (nothing answers at ${endpoint}): start it with npm start, or set AWS_ENDPOINT_PORT to its AWS endpoint port.`);
    }
    if ((error as Error).name === 'ResourceNotFoundException') {
      throw new CliError(`${endpoint} answers but has no table "${table}": is it the local stack? Start it with npm start.`);
    }
    throw error;
  }
  return { db: DynamoDBDocumentClient.from(client), table, where: `the local stack (${endpoint})`, destroy: () => client.destroy() };
}

/** A deployed table: named with --table, or read from the stack's TableName output. */
async function awsTarget(parsed: Parsed): Promise<Target> {
  let table = parsed.table;
  if (!table) {
    const stack = parsed.stack ?? DEFAULT_STACK;
    const cfn = new CloudFormationClient({});
    try {
      const out = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
      table = out.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'TableName')?.OutputValue;
      if (!table) throw new CliError(`Stack ${stack} has no TableName output: is it the webhooks stack? Pass --table NAME instead.`);
    } catch (error) {
      if (error instanceof CliError) throw error;
      if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message)) {
        throw new CliError(`Stack ${stack} was not found in ${await cfn.config.region()}: pass --stack NAME (or --table NAME), or set AWS_REGION.`);
      }
      throw awsError(error);
    } finally {
      cfn.destroy();
    }
  }
  const client = new DynamoDBClient({});
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
  } catch (error) {
    const region = await client.config.region();
    client.destroy();
    if ((error as Error).name === 'ResourceNotFoundException') throw new CliError(`Table ${table} was not found in ${region}.`);
    throw awsError(error);
  }
  return { db: DynamoDBDocumentClient.from(client), table, where: `table ${table} on AWS`, destroy: () => client.destroy() };
}

function awsError(error: unknown): Error {
  const e = error as Error;
  if (e.name === 'CredentialsProviderError') return new CliError(`No AWS credentials: ${e.message} (configure them as for the AWS CLI, e.g. AWS_PROFILE).`);
  if (/region/i.test(e.message) && /missing/i.test(e.message)) return new CliError('No AWS region: set AWS_REGION (or a profile with a region).');
  return e;
}

/** Where the CLI writes and what environment it reads (tests run it in-process). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

const processIo: CliIo = { out: (t) => console.log(t), err: (t) => console.error(t), env: process.env };

function table(keys: ApiKeyInfo[]): string {
  const rows = [['KEY ID', 'STATUS', 'CREATED', 'REVOKED', 'LABEL'], ...keys.map((k) => [k.keyId, k.revokedAt ? 'revoked' : 'active', k.createdAt, k.revokedAt ?? '-', k.label ?? ''])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function run(parsed: Parsed, io: CliIo): Promise<void> {
  const print = (text: string, json: unknown) => io.out(parsed.json ? JSON.stringify(json, null, 2) : text);
  const target = parsed.aws ? await awsTarget(parsed) : await localTarget(io.env);
  try {
    const repo = new TenantRepository(target.db, target.table);
    switch (parsed.command) {
      case 'create': {
        const { key, info } = await repo.createKey(parsed.arg, { label: parsed.label });
        print(
          [
            `Created an API key for tenant ${info.tenantId} on ${target.where}.`,
            `  key id   ${info.keyId}`,
            ...(info.label ? [`  label    ${info.label}`] : []),
            `  API key  ${key}`,
            '',
            'The key is shown only this once (only its hash is stored): keep it now.',
            `Use it as: Authorization: Bearer ${key}`,
          ].join('\n'),
          { ...info, apiKey: key },
        );
        return;
      }
      case 'list': {
        const keys = await repo.listKeys(parsed.arg);
        print(keys.length ? table(keys) : `No API keys for tenant ${parsed.arg} on ${target.where}.`, { items: keys });
        return;
      }
      case 'revoke': {
        const before = await repo.getKey(parsed.arg);
        if (!before) throw new CliError(`No API key ${parsed.arg} on ${target.where}; see a tenant's keys with npm run tenants -- list <tenantId>.`);
        const info = (await repo.revokeKey(parsed.arg))!;
        const text = before.revokedAt
          ? `${info.keyId} (tenant ${info.tenantId}) was already revoked at ${before.revokedAt}.`
          : `Revoked ${info.keyId} (tenant ${info.tenantId}). It stops working within ${AUTHORIZER_CACHE_TTL_SECONDS} s (the authorizer caches key lookups that long).`;
        print(text, info);
        return;
      }
    }
  } finally {
    target.destroy();
  }
}

/**
 * Runs one command line; resolves to the exit code (0 done, 1 failed, 2 bad command line).
 * Exported for tests; `npm run tenants` runs it on process.argv.
 */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    io.out(USAGE);
    return 0;
  }
  try {
    await run(parsed, io);
    return 0;
  } catch (error) {
    if (error instanceof CliError || error instanceof UsageError) {
      io.err(error.message);
      return 1;
    }
    io.err(`Failed: ${(error as Error).name}: ${(error as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
