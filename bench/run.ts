/**
 * `npm run bench` (full sizes), `npm run bench -- --quick`, `npm run bench -- --smoke`.
 * Options: `--only=pipeline,fanout,...` (bundles, pipeline, fanout, api, cost, export),
 * `--out=<file>` (default bench/results.json) and `--size=<name>=<n>` to override one size of
 * the mode (see bench/sizes.ts), e.g. `--size=exportRows=20000`. Progress goes to stderr, the
 * table to stdout.
 */
import { fileURLToPath } from 'node:url';
import { formatTable, runBench, SCENARIOS, type Scenario } from './harness';
import { SIZES, type Mode, type Sizes } from './sizes';

function parseArgs(argv: string[]): { mode: Mode; out: string; only?: Scenario[]; sizes: Partial<Sizes> } {
  let mode: Mode = 'full';
  const sizes: Partial<Sizes> = {};
  let out = fileURLToPath(new URL('./results.json', import.meta.url));
  let only: Scenario[] | undefined;
  for (const arg of argv) {
    if (arg === '--quick') mode = 'quick';
    else if (arg === '--smoke') mode = 'smoke';
    else if (arg === '--full') mode = 'full';
    else if (arg.startsWith('--out=')) out = arg.slice('--out='.length);
    else if (arg.startsWith('--size=')) {
      const [name, value] = arg.slice('--size='.length).split('=');
      if (!name || !(name in SIZES.full) || !value || !/^\d+$/.test(value)) {
        throw new Error(`--size takes <name>=<whole number> with a name from bench/sizes.ts (${Object.keys(SIZES.full).join(', ')})`);
      }
      sizes[name as keyof Sizes] = Number(value);
    }
    else if (arg.startsWith('--only=')) {
      only = arg.slice('--only='.length).split(',').filter(Boolean) as Scenario[];
      const unknown = only.filter((s) => !SCENARIOS.includes(s));
      if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
    } else throw new Error(`unknown option ${arg}; use --quick, --smoke, --only=<scenarios>, --out=<file>, --size=<name>=<n>`);
  }
  return { mode, out, only, sizes };
}

try {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const { results, errors, machine } = await runBench(options);
  process.stdout.write(
    `\nLMS webhooks benchmarks, ${options.mode} mode, ${new Date().toISOString()}\n` +
      `machine: ${machine.nproc} cores (${machine.cpu}), ${machine.memoryGb} GB, node ${machine.node}, moto ${machine.moto}, load average at start ${machine.loadAverage}\n` +
      `ratio: 1.0 = as good as the floor measured in the same run; higher is better (throughputs value/baseline, everything else baseline/value)\n\n` +
      `${formatTable(results)}\n\nwritten to ${options.out} in ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
  const failed = Object.entries(errors);
  if (failed.length) {
    for (const [scenario, message] of failed) process.stderr.write(`${scenario} failed: ${message}\n`);
    process.exitCode = 1;
  }
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
