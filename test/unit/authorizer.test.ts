import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { handler } from '../../functions/authorizer';
import { toHttpError } from '../../functions/http/errors';
import { route } from '../../functions/http/router';
import type { Services } from '../../functions/http/services';
import { startMoto, type MotoServer } from '../../infra/local/moto';
import { provision } from '../../infra/local/provision';
import { ENV } from '../../infra/resources';
import { documentClient, resetClients } from '../../shared/aws/clients';
import { resetConfig } from '../../shared/config';
import { bearerToken, createKeyCache } from '../../shared/tenants/authorize';
import { hashApiKey, TenantRepository } from '../../shared/tenants/repository';

function authorizerEvent(headers: Record<string, string>): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:us-east-1:123456789012:local/$default/GET/v1/webhooks',
    identitySource: [],
    routeKey: '$default',
    rawPath: '/v1/webhooks',
    rawQueryString: '',
    cookies: [],
    headers,
    requestContext: {} as APIGatewayRequestAuthorizerEventV2['requestContext'],
  };
}

describe('the authorizer against moto', () => {
  let moto: MotoServer;
  let tenants: TenantRepository;
  let table: string;
  let valid: { key: string; keyId: string };

  beforeAll(async () => {
    moto = await startMoto({ port: 0 });
    const provisioned = await provision({ endpoint: moto.endpoint, region: 'us-east-1' }, 'authz-');
    table = provisioned.names.table;
    process.env[ENV.tableName] = table;
    process.env[ENV.awsEndpoint] = moto.endpoint;
    // No per-container cache, so that each case reads the table (the cache has its own tests below).
    process.env[ENV.authorizerCacheTtlSeconds] = '0';
    resetConfig();
    resetClients();
    tenants = new TenantRepository(documentClient(), table);
    const created = await tenants.createKey('acme', { label: 'test' });
    valid = { key: created.key, keyId: created.info.keyId };
  });
  afterAll(async () => {
    await moto?.stop();
  });

  const cases: [string, Record<string, string>][] = [
    ['no Authorization header', {}],
    ['an empty header', { authorization: '' }],
    ['a scheme other than Bearer', { authorization: 'Basic YWxhZGRpbjpvcGVuc2VzYW1l' }],
    ['Bearer without a key', { authorization: 'Bearer ' }],
    ['a key shorter than 8 characters', { authorization: 'Bearer short' }],
    ['two tokens', { authorization: 'Bearer lmswh_aaaaaaaa lmswh_bbbbbbbb' }],
    ['an unknown key', { authorization: 'Bearer lmswh_not-a-key-we-issued-0000000000' }],
  ];
  it.each(cases)('answers isAuthorized with no tenant for %s', async (_name, headers) => {
    const result = await handler(authorizerEvent(headers));
    expect(result).toEqual({ isAuthorized: true, context: { tenantId: '', keyId: '' } });
  });

  it('names the tenant and key of a valid key (scheme case-insensitive)', async () => {
    for (const authorization of [`Bearer ${valid.key}`, `bearer ${valid.key}`, `Bearer   ${valid.key}  `]) {
      const result = await handler(authorizerEvent({ authorization }));
      expect(result).toEqual({ isAuthorized: true, context: { tenantId: 'acme', keyId: valid.keyId } });
    }
  });

  it('stores only the hash of a key', async () => {
    const info = await documentClient().send(new GetCommand({ TableName: table, Key: { pk: `APIKEYID#${valid.keyId}`, sk: 'APIKEYID' } }));
    const byHash = await documentClient().send(new GetCommand({ TableName: table, Key: { pk: `APIKEY#${hashApiKey(valid.key)}`, sk: 'APIKEY' } }));
    expect(byHash.Item).toMatchObject({ tenantId: 'acme', keyId: valid.keyId });
    expect(JSON.stringify([info.Item, byHash.Item])).not.toContain(valid.key);
  });

  it('refuses a revoked key', async () => {
    const { key, info } = await tenants.createKey('acme', { label: 'to revoke' });
    expect((await handler(authorizerEvent({ authorization: `Bearer ${key}` }))).context.tenantId).toBe('acme');
    const revoked = await tenants.revokeKey(info.keyId);
    expect(revoked?.revokedAt).toMatch(/^\d{4}-/);
    expect(await handler(authorizerEvent({ authorization: `Bearer ${key}` }))).toEqual({ isAuthorized: true, context: { tenantId: '', keyId: '' } });
    // The other key of the tenant still works, and list shows the revoked one as revoked.
    expect((await handler(authorizerEvent({ authorization: `Bearer ${valid.key}` }))).context.tenantId).toBe('acme');
    const listed = await tenants.listKeys('acme');
    expect(listed.find((k) => k.keyId === info.keyId)?.revokedAt).toBe(revoked?.revokedAt);
    expect(listed.find((k) => k.keyId === valid.keyId)?.revokedAt).toBeNull();
  });

  describe('when the table cannot be read', () => {
    // Created here, not at collection time: mockClient patches every document client.
    let ddb: ReturnType<typeof mockClient>;
    beforeAll(() => {
      ddb = mockClient(DynamoDBDocumentClient);
    });
    afterAll(() => ddb.restore());

    it('fails closed with no tenant and flags the failure', async () => {
      ddb.on(GetCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
      const result = await handler(authorizerEvent({ authorization: `Bearer ${valid.key}` }));
      expect(result).toEqual({ isAuthorized: true, context: { tenantId: '', keyId: '', error: 'key_lookup_failed' } });
    });
  });
});

describe('the api answer to a failed key lookup', () => {
  it('is the contract 500 internal, not a 401 that blames the key', async () => {
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/v1/webhooks',
      rawQueryString: '',
      headers: {},
      isBase64Encoded: false,
      requestContext: { http: { method: 'GET', path: '/v1/webhooks' }, authorizer: { lambda: { tenantId: '', keyId: '', error: 'key_lookup_failed' } } },
    } as unknown as APIGatewayProxyEventV2;
    const logged: unknown[] = [];
    const error = await route(event, {} as Services).then(
      () => undefined,
      (e: unknown) => e,
    );
    const response = toHttpError(error, (e) => logged.push(e));
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body!)).toEqual({ error: { code: 'internal', message: expect.stringMatching(/\w/) } });
    expect(logged).toHaveLength(1);
  });
});

describe('the per-container key cache', () => {
  function fakeRepo() {
    const keys = new Map([['lmswh_good-key-000', { tenantId: 'acme', keyId: 'key_1' }]]);
    let reads = 0;
    return {
      keys,
      reads: () => reads,
      tenantForKey: async (key: string) => {
        reads++;
        return keys.get(key) ?? null;
      },
    };
  }

  it('keeps a revoked key working until the TTL passes, then refuses it', async () => {
    let now = 1_000_000;
    const repo = fakeRepo();
    const lookup = createKeyCache(repo, 60_000, () => now);
    expect(await lookup('lmswh_good-key-000')).toEqual({ tenantId: 'acme', keyId: 'key_1' });
    repo.keys.delete('lmswh_good-key-000'); // revoked
    now += 59_999;
    expect(await lookup('lmswh_good-key-000')).toEqual({ tenantId: 'acme', keyId: 'key_1' });
    expect(repo.reads()).toBe(1);
    now += 1;
    expect(await lookup('lmswh_good-key-000')).toBeNull();
    expect(repo.reads()).toBe(2);
  });

  it('caches unknown keys too, so wrong keys do not hammer the table', async () => {
    let now = 0;
    const repo = fakeRepo();
    const lookup = createKeyCache(repo, 60_000, () => now);
    for (let i = 0; i < 5; i++) expect(await lookup('lmswh_wrong-key-00')).toBeNull();
    expect(repo.reads()).toBe(1);
    now = 60_000;
    await lookup('lmswh_wrong-key-00');
    expect(repo.reads()).toBe(2);
  });

  it('with TTL 0 reads every time', async () => {
    const repo = fakeRepo();
    const lookup = createKeyCache(repo, 0, () => 5);
    await lookup('lmswh_good-key-000');
    await lookup('lmswh_good-key-000');
    expect(repo.reads()).toBe(2);
  });

  it('does not cache a failed read', async () => {
    let fail = true;
    let reads = 0;
    const lookup = createKeyCache(
      {
        tenantForKey: async () => {
          reads++;
          if (fail) throw new Error('down');
          return { tenantId: 'acme', keyId: 'key_1' };
        },
      },
      60_000,
      () => 0,
    );
    await expect(lookup('lmswh_good-key-000')).rejects.toThrow('down');
    fail = false;
    expect(await lookup('lmswh_good-key-000')).toEqual({ tenantId: 'acme', keyId: 'key_1' });
    expect(reads).toBe(2);
  });

  it('takes the key only from a well-formed Bearer header', () => {
    expect(bearerToken('Bearer lmswh_abcdefgh')).toBe('lmswh_abcdefgh');
    expect(bearerToken('bearer lmswh_abcdefgh')).toBe('lmswh_abcdefgh');
    for (const header of [undefined, '', 'lmswh_abcdefgh', 'Basic lmswh_abcdefgh', 'Bearer', 'Bearer abc', `Bearer ${'x'.repeat(513)}`]) {
      expect(bearerToken(header)).toBeNull();
    }
  });
});
