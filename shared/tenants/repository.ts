import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryIndexPartition } from '../aws/cursor';
import { GSI1 } from '../resources';
import * as z from 'zod';
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

/**
 * A tenant id as keys are issued for it: it becomes part of table keys (`TENANT#<id>`), so
 * it is kept to letters, digits, `.`, `_` and `-`.
 */
export const tenantIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'A tenant id is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit.');

export const apiKeyIdSchema = z.string().regex(/^key_[0-9A-HJKMNP-TV-Z]{26}$/, 'A key id looks like key_ followed by 26 letters and digits.');

export const keyLabelSchema = z.string().trim().min(1, 'A label must not be empty.').max(100, 'A label has at most 100 characters.');

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
    tenantIdSchema.parse(tenantId);
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

  /** The tenant's keys, revoked ones included, oldest first (key ids sort by creation). */
  async listKeys(tenantId: string): Promise<ApiKeyInfo[]> {
    const items = await queryIndexPartition(this.db, this.tableName, GSI1, `TENANTKEYS#${tenantId}`);
    return items.map((i) => ({ keyId: i.keyId as string, tenantId: i.tenantId as string, createdAt: i.createdAt as string, revokedAt: (i.revokedAt as string | undefined) ?? null, label: (i.label as string | undefined) ?? null }));
  }

  /** One key's info by id, or null. */
  async getKey(keyId: string): Promise<ApiKeyInfo | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: byId(keyId), ConsistentRead: true }));
    return Item ? { keyId, tenantId: Item.tenantId, createdAt: Item.createdAt, revokedAt: Item.revokedAt ?? null, label: Item.label ?? null } : null;
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
                // Not if_not_exists: keys are created with revokedAt null, which "exists".
                UpdateExpression: 'SET revokedAt = :at',
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
