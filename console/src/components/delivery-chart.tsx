/** @jsxImportSource preact */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { attemptsPerDay, niceMax } from '../lib/chart';
import type { AttemptRecord } from '../lib/types';

const DEFAULT_WIDTH = 640;
const HEIGHT = 140;
const PAD = { top: 10, right: 8, bottom: 22, left: 34 };

/**
 * Attempts per day split by outcome, stacked bars in inline SVG, from the records loaded on
 * the page. The numbers are also in the bars' titles and in the summary for screen readers.
 */
export function DeliveryChart({ records, now = Date.now() }: { records: readonly AttemptRecord[]; now?: number }) {
  // Drawn in CSS pixels at the width it gets, so that text stays readable on any window.
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(DEFAULT_WIDTH);
  useLayoutEffect(() => {
    const element = box.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const measure = () => element.clientWidth > 0 && setWidth(Math.round(element.clientWidth));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const buckets = attemptsPerDay(records, { now });
  const top = niceMax(Math.max(0, ...buckets.map((b) => b.succeeded + b.failed)));
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / buckets.length;
  const barW = Math.max(2, Math.min(28, slot * 0.7));
  const y = (n: number) => (n / top) * plotH;
  const labelEvery = Math.ceil(buckets.length / Math.max(2, Math.floor(plotW / 56)));
  const succeeded = buckets.reduce((n, b) => n + b.succeeded, 0);
  const failed = buckets.reduce((n, b) => n + b.failed, 0);
  const first = buckets[0]?.day ?? '';
  const last = buckets[buckets.length - 1]?.day ?? '';
  const summary = `Attempts per day from ${first} to ${last} (UTC), from the ${records.length} loaded records: ${succeeded} succeeded, ${failed} failed.`;

  return (
    <figure class="chart">
      <figcaption class="chart-caption">
        <span>Deliveries per day</span>
        <span class="legend">
          <span class="legend-item">
            <span class="swatch swatch-succeeded" aria-hidden="true" />
            Succeeded {succeeded}
          </span>
          <span class="legend-item">
            <span class="swatch swatch-failed" aria-hidden="true" />
            Failed {failed}
          </span>
        </span>
      </figcaption>
      <div ref={box} class="chart-box">
        <svg viewBox={`0 0 ${width} ${HEIGHT}`} width={width} height={HEIGHT} role="img" aria-label={summary} class="chart-svg">
          <g class="chart-grid">
            {(top % 2 === 0 ? [0, 0.5, 1] : [0, 1]).map((f) => (
              <g key={f}>
                <line x1={PAD.left} x2={width - PAD.right} y1={PAD.top + plotH - f * plotH} y2={PAD.top + plotH - f * plotH} />
                <text x={PAD.left - 6} y={PAD.top + plotH - f * plotH + 4} text-anchor="end">
                  {Math.round(top * f)}
                </text>
              </g>
            ))}
          </g>
          {buckets.map((b, i) => {
            const x = PAD.left + i * slot + (slot - barW) / 2;
            const hS = y(b.succeeded);
            const hF = y(b.failed);
            const base = PAD.top + plotH;
            return (
              <g key={b.day} data-day={b.day}>
                <title>{`${b.day}: ${b.succeeded} succeeded, ${b.failed} failed`}</title>
                {b.succeeded > 0 && <rect class="bar-succeeded" x={x} y={base - hS} width={barW} height={hS} />}
                {b.failed > 0 && <rect class="bar-failed" x={x} y={base - hS - hF} width={barW} height={hF} />}
                {i % labelEvery === 0 && (
                  <text class="chart-label" x={x + barW / 2} y={HEIGHT - 6} text-anchor="middle">
                    {b.day.slice(5)}
                  </text>
                )}
              </g>
            );
          })}
        </svg>
      </div>
    </figure>
  );
}
