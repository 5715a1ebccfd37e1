import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { main } from '../../infra/cli/tenants';
import { freePort } from '../../infra/local/moto';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { apiClient } from '../fixtures/api';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a user would, in its own process. */
function run(command: string, args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * `npm run tenants`: create, list and revoke API keys against a started local stack, and
 * against "AWS" (moto standing in through AWS_ENDPOINT_URL, so nothing leaves this machine).
 */
// Each case spawns the CLI (tsx compiles it first): slow on a loaded machine, hence 60 s.
describe('the tenants CLI', { timeout: 60_000 }, () => {
  let stack: LocalStack;
  let port: string;
  const tenants = (args: string[], env: Record<string, string | undefined> = {}) => run('npx', ['tsx', 'infra/cli/tenants.ts', ...args], { AWS_ENDPOINT_PORT: port, ...env });
  /** The same main() in this process: quicker, for the cases that need no process of their own. */
  const inProcess = async (args: string[], env: Record<string, string | undefined> = {}): Promise<Run> => {
    let stdout = '';
    let stderr = '';
    const code = await main(args, { out: (t) => (stdout += `${t}\n`), err: (t) => (stderr += `${t}\n`), env: { AWS_ENDPOINT_PORT: port, ...env } });
    return { code, stdout, stderr };
  };
  /** The CLI with --aws, its SDK pointed at moto; no real credentials or config are read. */
  const onAws = (args: string[]) =>
    tenants(['--aws', ...args], {
      AWS_ENDPOINT_URL: stack.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'moto',
      AWS_SECRET_ACCESS_KEY: 'moto',
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    });

  const parseCreate = (out: string) => ({ key: /API key\s+(lmswh_\S+)/.exec(out)?.[1], keyId: /key id\s+(key_\w+)/.exec(out)?.[1] });

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      awsPort: 0,
      apiKey: 'cli-test-key-000001',
      allowLoopback: true,
      // So that a revoked key is refused at once (the default is AUTHORIZER_CACHE_TTL_SECONDS).
      config: { authorizerCacheTtlSeconds: '0' },
    });
    port = new URL(stack.endpoint).port;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('creates a key that works on the API, lists it, and revokes it so that it stops working', async () => {
    const created = await tenants(['create', 'acme', '--label', 'CI pipeline']);
    expect(created.code, created.stderr).toBe(0);
    const { key, keyId } = parseCreate(created.stdout);
    expect(key).toMatch(/^lmswh_[A-Za-z0-9_-]{43}$/);
    expect(keyId).toMatch(/^key_[0-9A-Z]{26}$/);
    expect(created.stdout).toMatch(/shown only this once/);

    const acme = apiClient(stack.apiUrl, key!);
    expect((await acme.get('/v1/webhooks')).status).toBe(200);
    const made = await acme.post('/v1/webhooks', { name: 'Acme sync', url: 'https://hooks.example.com/acme', eventTypes: ['badge.awarded'] });
    expect(made.status).toBe(201);
    // The key is acme's: the stack's own tenant does not see acme's webhook.
    expect((await apiClient(stack.apiUrl, stack.apiKey).get(`/v1/webhooks/${made.body.id}`)).status).toBe(404);

    const listed = await tenants(['list', 'acme']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${keyId}\\s+active\\s+\\S+\\s+-\\s+CI pipeline$`, 'm'));
    expect(listed.stdout).not.toContain(key);

    const revoked = await tenants(['revoke', keyId!]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`Revoked ${keyId} \\(tenant acme\\)\\. It stops working within 60 s`));
    const refused = await acme.get('/v1/webhooks');
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthorized');

    const json = await inProcess(['list', 'acme', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ items: [{ keyId, tenantId: 'acme', label: 'CI pipeline', createdAt: expect.any(String), revokedAt: expect.any(String) }] });
    const again = await inProcess(['revoke', keyId!]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already revoked/);
  });

  it('prints JSON on request, and works through npm run tenants', async () => {
    const created = await inProcess(['create', 'initech', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const out = JSON.parse(created.stdout);
    expect(out).toEqual({ keyId: expect.stringMatching(/^key_/), tenantId: 'initech', apiKey: expect.stringMatching(/^lmswh_/), label: null, createdAt: expect.any(String), revokedAt: null });
    expect((await apiClient(stack.apiUrl, out.apiKey).get('/v1/webhooks')).status).toBe(200);

    const viaNpm = await run('npm', ['run', '--silent', 'tenants', '--', 'list', 'local'], { AWS_ENDPOINT_PORT: port });
    expect(viaNpm.code, viaNpm.stderr).toBe(0);
    expect(viaNpm.stdout).toMatch(/^key_\w+\s+active\s+.*local stack$/m);
    const none = await inProcess(['list', 'nobody']);
    expect(none.stdout).toMatch(/No API keys for tenant nobody/);
  });

  it('explains mistakes clearly, with the usage for command-line errors', async () => {
    const cases: [string[], number, RegExp][] = [
      [[], 2, /Missing command/],
      [['frobnicate', 'acme'], 2, /Unknown command "frobnicate"/],
      [['create'], 2, /Missing <tenantId>/],
      [['list'], 2, /Missing <tenantId>/],
      [['revoke'], 2, /Missing <keyId>/],
      [['create', 'a#b'], 2, /not a tenant id/],
      [['revoke', 'acme'], 2, /not a key id/],
      [['create', 'acme', '--colour', 'red'], 2, /Unknown option '--colour'/],
      [['create', 'acme', '--label'], 2, /--label/],
      [['list', 'acme', '--label', 'x'], 2, /--label goes with create only/],
      [['create', 'acme', '--table', 'webhooks'], 2, /add --aws/],
      [['create', 'acme', 'extra'], 2, /Unexpected argument "extra"/],
      [['revoke', 'key_01JZZZZZZZZZZZZZZZZZZZZZZZ'], 1, /No API key key_01JZZZZZZZZZZZZZZZZZZZZZZZ/],
    ];
    const results = await Promise.all(cases.map(([args]) => inProcess(args)));
    for (const [i, [args, code, message]] of cases.entries()) {
      const r = results[i]!;
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(message);
      if (code === 2) expect(r.stderr).toContain('Usage: npm run tenants -- <command>');
    }
    const help = await inProcess(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/create <tenantId> \[--label LABEL\]/);
  });

  it('says to start the local stack when it is not running', async () => {
    const r = await tenants(['list', 'acme'], { AWS_ENDPOINT_PORT: String(await freePort()) });
    expect(r.stdout).toBe('');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/local stack is not running .*start it with npm start/);
    const bad = await inProcess(['list', 'acme'], { AWS_ENDPOINT_PORT: 'abc' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/AWS_ENDPOINT_PORT/);
  });

  describe('with --aws', () => {
    beforeAll(async () => {
      const cfn = new CloudFormationClient({ endpoint: stack.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'moto', secretAccessKey: 'moto' } });
      const template = (outputs: Record<string, unknown>) =>
        JSON.stringify({ Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: `cli-${Object.keys(outputs).length}` } } }, Outputs: outputs });
      await cfn.send(new CreateStackCommand({ StackName: 'LmsWebhooks-test', TemplateBody: template({ TableName: { Value: stack.provisioned.names.table } }) }));
      await cfn.send(new CreateStackCommand({ StackName: 'SomethingElse', TemplateBody: template({}) }));
      cfn.destroy();
    });

    it('uses the table named with --table', async () => {
      const created = await onAws(['create', 'hooli', '--table', stack.provisioned.names.table]);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toMatch(/on table webhooks on AWS/);
      expect((await apiClient(stack.apiUrl, parseCreate(created.stdout).key!).get('/v1/webhooks')).status).toBe(200);
    });

    it("reads the table from the stack's TableName output", async () => {
      const created = await onAws(['create', 'hooli', '--stack', 'LmsWebhooks-test']);
      expect(created.code, created.stderr).toBe(0);
      expect((await apiClient(stack.apiUrl, parseCreate(created.stdout).key!).get('/v1/webhooks')).status).toBe(200);
      const listed = await onAws(['list', 'hooli', '--stack', 'LmsWebhooks-test', '--json']);
      expect(JSON.parse(listed.stdout).items).toHaveLength(2);
    });

    it('explains a missing stack, a stack without the output, and a missing table', async () => {
      const [missing, wrong, noTable] = await Promise.all([
        onAws(['list', 'hooli']), // the default stack, LmsWebhooks-dev, does not exist here
        onAws(['list', 'hooli', '--stack', 'SomethingElse']),
        onAws(['list', 'hooli', '--table', 'nope']),
      ]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/Stack LmsWebhooks-dev was not found in us-east-1/);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/Stack SomethingElse has no TableName output/);
      expect(noTable.code).toBe(1);
      expect(noTable.stderr).toMatch(/Table nope was not found in us-east-1/);
    });
  });
});
