import { describe, expect, it } from 'vitest';
import { emitAttemptMetrics } from '../../shared/delivery/metrics';
import { DELIVERY_METRICS } from '../../infra/resources';
import type { StoredAttempt } from '../../shared/logs/model';

const attempt = (eventType: string, outcome: 'succeeded' | 'failed', durationMs: number): StoredAttempt => ({
  id: 'att_01M90S3DRWM5QWPV79Z9RW2V6N',
  tenantId: 'acme',
  webhookId: 'wh_01M90S3CBBP55ET1MNXFCQ5G95',
  eventId: 'evt_GMNQHR0PB98272J86C03SHQHR2',
  eventType,
  attempt: 1,
  attemptedAt: '2026-12-04T12:00:00.000Z',
  url: 'https://hooks.example.com/lms',
  outcome,
  statusCode: outcome === 'succeeded' ? 200 : 500,
  durationMs,
  error: outcome === 'succeeded' ? null : 'http_status',
  nextAttemptAt: null,
  responseExcerpt: '',
  kind: 'delivery',
  deliveryId: 'dlv_01M90S3DMKP1DGR0P80JF9E23B',
  terminal: false,
});

describe('emitAttemptMetrics', () => {
  it('writes one EMF line per event type with counts and every latency', () => {
    const lines: string[] = [];
    emitAttemptMetrics(
      [attempt('badge.awarded', 'succeeded', 12), attempt('badge.awarded', 'failed', 30), attempt('content.completed', 'succeeded', 7)],
      (l) => lines.push(l),
      Date.parse('2026-12-04T12:00:01.000Z'),
    );
    expect(lines).toHaveLength(2);
    const badge = JSON.parse(lines[0]!);
    expect(badge._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: DELIVERY_METRICS.namespace, Dimensions: [[DELIVERY_METRICS.dimension]] });
    expect(badge._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name)).toEqual([DELIVERY_METRICS.succeeded, DELIVERY_METRICS.failed, DELIVERY_METRICS.attemptLatency]);
    expect(badge).toMatchObject({ [DELIVERY_METRICS.dimension]: 'badge.awarded', [DELIVERY_METRICS.succeeded]: 1, [DELIVERY_METRICS.failed]: 1, [DELIVERY_METRICS.attemptLatency]: [12, 30] });
    expect(JSON.parse(lines[1]!)).toMatchObject({ [DELIVERY_METRICS.dimension]: 'content.completed', [DELIVERY_METRICS.succeeded]: 1, [DELIVERY_METRICS.failed]: 0, [DELIVERY_METRICS.attemptLatency]: [7] });
  });

  it('splits more than 100 values, the most EMF takes per metric', () => {
    const lines: string[] = [];
    emitAttemptMetrics(Array.from({ length: 150 }, (_, i) => attempt('badge.awarded', 'succeeded', i)), (l) => lines.push(l));
    expect(lines.map((l) => JSON.parse(l)[DELIVERY_METRICS.attemptLatency].length)).toEqual([100, 50]);
  });
});
