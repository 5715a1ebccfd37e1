import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EXPORT_OBJECT_EXPIRY_DAYS } from '../resources';
import type { LogFilters } from './model';

export type ExportStatus = 'pending' | 'ready' | 'failed';

export interface ExportJob {
  id: string;
  tenantId: string;
  webhookId: string;
  webhookName: string;
  status: ExportStatus;
  filters: LogFilters;
  rowCount: number | null;
  objectKey: string;
  fileName: string;
  error: string | null;
  createdAt: string;
  completedAt: string | null;
}

const key = (tenantId: string, id: string) => ({ pk: `TENANT#${tenantId}`, sk: `EXP#${id}` });

/**
 * Export jobs live in the tenant's partition: another tenant's id is simply not found. A job
 * is kept as long as its file (the bucket expires files after EXPORT_OBJECT_EXPIRY_DAYS), and
 * never longer than the logs it copies (`logRetentionDays`).
 */
export class ExportRepository {
  private readonly keepDays: number;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    logRetentionDays: number,
  ) {
    this.keepDays = Math.min(logRetentionDays, EXPORT_OBJECT_EXPIRY_DAYS);
  }

  async create(job: ExportJob): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...key(job.tenantId, job.id), entity: 'export', ...job, ttl: Math.floor(Date.parse(job.createdAt) / 1000) + this.keepDays * 86_400 },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /** The job, or null when absent, another tenant's, or expired (DynamoDB deletes expired items late). */
  async get(tenantId: string, id: string, now: number = Date.now()): Promise<ExportJob | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key(tenantId, id), ConsistentRead: true }));
    if (!Item || Item.entity !== 'export') return null;
    if (typeof Item.ttl === 'number' && Item.ttl <= Math.floor(now / 1000)) return null;
    const { pk: _p, sk: _s, entity: _e, ttl: _ttl, ...job } = Item;
    return job as ExportJob;
  }

  /** Ends a job once: a pending job becomes ready or failed, and a finished one stays as it is. */
  async finish(tenantId: string, id: string, result: { status: 'ready'; rowCount: number } | { status: 'failed'; error: string }, at: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(tenantId, id),
          UpdateExpression: 'SET #status = :status, rowCount = :rows, #error = :error, completedAt = :at',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
          ExpressionAttributeValues: {
            ':status': result.status,
            ':rows': result.status === 'ready' ? result.rowCount : null,
            ':error': result.status === 'failed' ? result.error : null,
            ':at': at,
            ':pending': 'pending',
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
