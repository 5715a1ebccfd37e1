/** Result records, small statistics, progress lines and the printed table. */

/** One line of bench/results.json. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The floor measured in the same run (same moto, same receiver, same concurrency). */
  baseline: number;
  /**
   * 1.0 means "as good as the floor". Throughputs: value / baseline. Times, sizes, counts,
   * memory and money (lower is better): baseline / value. So higher is always better.
   */
  ratio: number;
  notes: string;
}

export type Direction = 'higher-is-better' | 'lower-is-better';

/** Builds a result with the ratio computed the one way the table explains. */
export function result(name: string, value: number, unit: string, baseline: number, direction: Direction, notes: string): BenchResult {
  const ratio = direction === 'higher-is-better' ? safeDiv(value, baseline) : safeDiv(baseline, value);
  return { name, value: round(value), unit, baseline: round(baseline), ratio: round(ratio, 3), notes };
}

function safeDiv(a: number, b: number): number {
  return b === 0 ? (a === 0 ? 1 : 0) : a / b;
}

/** Rounds to `digits` significant decimals without turning small numbers into 0. */
export function round(value: number, digits = 4): number {
  if (!Number.isFinite(value)) return value;
  if (value === 0) return 0;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return Number(value.toFixed(Math.min(decimals, 12)));
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** Progress goes to stderr so that stdout carries only the table. */
export function progress(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Runs `work`, printing a progress line every `everyMs` with what `status` says. */
export async function withTicker<T>(label: string, status: () => string, work: Promise<T>, everyMs = 1_000): Promise<T> {
  const timer = setInterval(() => progress(`${label}: ${status()}`), everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** The readable table: a Markdown table, so it can be pasted into BENCHMARKS.md as it is. */
export function formatTable(results: BenchResult[]): string {
  const rows = results.map((r) => [r.name, fmt(r.value), r.unit, fmt(r.baseline), fmt(r.ratio), r.notes]);
  const header = ['name', 'value', 'unit', 'baseline', 'ratio', 'notes'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.filter(() => i < 5).map((row) => String(row[i]).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 5 ? c.padEnd(widths[i]!) : c)).join(' | ')} |`;
  return [line(header), line(widths.map((w, i) => (i < 5 ? '-'.repeat(w) : '---'))), ...rows.map((row) => line(row.map(String)))].join('\n');
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString('en-US') : String(round(value, 3));
}
