import { DELIVERY_METRICS as M } from '../resources';
import type { StoredAttempt } from '../logs/model';

/**
 * CloudWatch Embedded Metric Format: one log line per batch and event type with the count of
 * succeeded and failed attempts and every attempt's latency (EMF takes up to 100 values per
 * metric). Lambda turns these lines into metrics at no API cost, and one line per batch
 * keeps the log volume a fraction of one line per attempt.
 */
export function emitAttemptMetrics(records: StoredAttempt[], write: (line: string) => void = (l) => process.stdout.write(l + '\n'), now = Date.now()): void {
  const byType = new Map<string, StoredAttempt[]>();
  for (const record of records) byType.set(record.eventType, [...(byType.get(record.eventType) ?? []), record]);
  for (const [eventType, group] of byType) {
    for (let i = 0; i < group.length; i += 100) {
      const chunk = group.slice(i, i + 100);
      write(
        JSON.stringify({
          _aws: {
            Timestamp: now,
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
          [M.dimension]: eventType,
          [M.succeeded]: chunk.filter((r) => r.outcome === 'succeeded').length,
          [M.failed]: chunk.filter((r) => r.outcome === 'failed').length,
          [M.attemptLatency]: chunk.map((r) => r.durationMs),
        }),
      );
    }
  }
}
