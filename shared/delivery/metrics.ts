import { DELIVERY_METRICS as M } from '../../infra/resources';
import type { StoredAttempt } from '../logs/model';

/**
 * One CloudWatch Embedded Metric Format line per delivery attempt: succeeded or failed and
 * its latency, by event type. Lambda turns these log lines into metrics at no API cost.
 */
export function emitAttemptMetric(record: StoredAttempt, write: (line: string) => void = (l) => process.stdout.write(l + '\n')): void {
  write(
    JSON.stringify({
      _aws: {
        Timestamp: Date.parse(record.attemptedAt),
        CloudWatchMetrics: [
          {
            Namespace: M.namespace,
            Dimensions: [[M.dimension]],
            Metrics: [
              { Name: M.succeeded, Unit: 'Count' },
              { Name: M.failed, Unit: 'Count' },
              { Name: M.attemptLatency, Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      [M.dimension]: record.eventType,
      [M.succeeded]: record.outcome === 'succeeded' ? 1 : 0,
      [M.failed]: record.outcome === 'failed' ? 1 : 0,
      [M.attemptLatency]: record.durationMs,
      webhookId: record.webhookId,
      attempt: record.attempt,
    }),
  );
}
