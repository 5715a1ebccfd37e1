import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { newId, randomToken, sha256Hex } from '../ids';

/** API keys: stored only as SHA-256 hashes; the key itself is shown once, at creation. */
export interface ApiKeyInfo {
  keyId: string;
  tenantId: string;
  createdAt: string;
  revokedAt: string | null;
  label: string | null;
}

const byHash = (hash: string) => ({ pk: `APIKEY#${hash}`, sk: 'APIKEY' });
const byId = (keyId: string) => ({ pk: `APIKEYID#${keyId}`, sk: 'APIKEYID' });

export const API_KEY_PREFIX = 'lmswh_';

export function hashApiKey(key: string): string {
  return sha256Hex(key);
}

export class TenantRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Stores a key for a tenant; `key` defaults to a new random one. Returns it with its id. */
  async createKey(tenantId: string, options: { key?: string; label?: string; now?: number } = {}): Promise<{ key: string; info: ApiKeyInfo }> {
    const key = options.key ?? API_KEY_PREFIX + randomToken(32);
    const hash = hashApiKey(key);
    const info: ApiKeyInfo = {
      keyId: newId('apiKey', options.now),
      tenantId,
      createdAt: new Date(options.now ?? Date.now()).toISOString(),
      revokedAt: null,
      label: options.label ?? null,
    };
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.tableName, Item: { ...byHash(hash), entity: 'apiKey', tenantId, keyId: info.keyId }, ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Put: {
              TableName: this.tableName,
              Item: { ...byId(info.keyId), entity: 'apiKeyInfo', ...info, keyHash: hash, gsi1pk: `TENANTKEYS#${tenantId}`, gsi1sk: info.keyId },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
    return { key, info };
  }

  /** The tenant a key belongs to, or null (unknown or revoked). */
  async tenantForKey(key: string): Promise<{ tenantId: string; keyId: string } | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: byHash(hashApiKey(key)) }));
    return Item ? { tenantId: Item.tenantId as string, keyId: Item.keyId as string } : null;
  }

  async listKeys(tenantId: string): Promise<ApiKeyInfo[]> {
    const out = await this.db.send(
      new QueryCommand({ TableName: this.tableName, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': `TENANTKEYS#${tenantId}` } }),
    );
    return (out.Items ?? []).map((i) => ({ keyId: i.keyId, tenantId: i.tenantId, createdAt: i.createdAt, revokedAt: i.revokedAt ?? null, label: i.label ?? null }));
  }

  /** Revokes a key by id: the hash item goes (the authorizer stops finding it), the info stays. */
  async revokeKey(keyId: string, now = Date.now()): Promise<ApiKeyInfo | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: byId(keyId) }));
    if (!Item) return null;
    const revokedAt = (Item.revokedAt as string | undefined) ?? new Date(now).toISOString();
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName: this.tableName, Key: byHash(Item.keyHash as string) } },
            {
              Update: {
                TableName: this.tableName,
                Key: byId(keyId),
                UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :at)',
                ExpressionAttributeValues: { ':at': revokedAt },
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    return { keyId, tenantId: Item.tenantId, createdAt: Item.createdAt, revokedAt, label: Item.label ?? null };
  }
}
