import type { StoredAttempt } from '../logs/model';

export const METRICS_NAMESPACE = 'LmsWebhooks';

/**
 * One CloudWatch Embedded Metric Format line per delivery attempt: succeeded or failed and
 * its latency, by event type. Lambda turns these log lines into metrics at no API cost.
 */
export function emitAttemptMetric(record: StoredAttempt, write: (line: string) => void = (l) => process.stdout.write(l + '\n')): void {
  if (process.env.WEBHOOKS_METRICS === 'off') return;
  write(
    JSON.stringify({
      _aws: {
        Timestamp: Date.parse(record.attemptedAt),
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [['EventType']],
            Metrics: [
              { Name: 'DeliverySucceeded', Unit: 'Count' },
              { Name: 'DeliveryFailed', Unit: 'Count' },
              { Name: 'AttemptLatency', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      EventType: record.eventType,
      DeliverySucceeded: record.outcome === 'succeeded' ? 1 : 0,
      DeliveryFailed: record.outcome === 'failed' ? 1 : 0,
      AttemptLatency: record.durationMs,
      webhookId: record.webhookId,
      attempt: record.attempt,
    }),
  );
}
