import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The benchmark harness is not part of `npm test`, so this runs its tiny iteration
 * (`npm run bench -- --smoke`: every scenario with a few events, webhooks and rows) and checks
 * that it wrote every result the issue asks for, each with numbers. It asserts no speed.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');

const REQUIRED = [
  'pipeline_throughput',
  'dynamodb_requests_per_delivery',
  'sqs_requests_per_delivery',
  'fanout_1000',
  'export_rows_per_s',
  'export_peak_rss_mb',
  'api_latency_p50_ms',
  'api_latency_p99_ms',
  'cost_per_million_deliveries_usd',
  ...['api', 'authorizer', 'fanout', 'deliver', 'export'].flatMap((f) => [`bundle_kb_${f}`, `init_ms_${f}`]),
];

interface Result {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  ratio: number;
  notes: string;
}

describe('bench harness, smoke mode', () => {
  let dir: string;
  let run: { code: number; stdout: string; stderr: string };
  let results: Result[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
    const out = join(dir, 'results.json');
    run = await new Promise((resolve) => {
      execFile(TSX, ['bench/run.ts', '--smoke', `--out=${out}`], { cwd: ROOT, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
        // A non-zero exit carries its code; a timeout or a failed spawn does not.
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      );
    });
    results = run.code === 0 ? (JSON.parse(await readFile(out, 'utf8')) as Result[]) : [];
  }, 160_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 and prints the table', () => {
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(run.stdout).toContain('| pipeline_throughput');
  });

  it('writes every required result with a numeric value, baseline and ratio', () => {
    const byName = new Map(results.map((r) => [r.name, r]));
    for (const name of REQUIRED) {
      const r = byName.get(name);
      expect(r, `${name} is missing from results.json`).toBeDefined();
      for (const field of ['value', 'baseline', 'ratio'] as const) {
        expect(Number.isFinite(r![field]), `${name}.${field} = ${r![field]} (${r!.notes})`).toBe(true);
      }
      expect(r!.unit).not.toBe('');
      expect(r!.notes.length).toBeGreaterThan(10);
    }
  });

  it('counted real work: requests per delivery, exported rows and bundle sizes are positive', () => {
    const value = (name: string) => results.find((r) => r.name === name)?.value ?? 0;
    expect(value('dynamodb_requests_per_delivery')).toBeGreaterThan(0);
    expect(value('sqs_requests_per_delivery')).toBeGreaterThan(0);
    expect(value('pipeline_throughput')).toBeGreaterThan(0);
    expect(value('export_rows_per_s')).toBeGreaterThan(0);
    expect(value('bundle_kb_deliver')).toBeGreaterThan(0);
    expect(value('cost_per_million_deliveries_usd')).toBeGreaterThan(0);
  });
});
