/**
 * Bundles an entry the way the CDK stack bundles a Lambda function
 * (infra/constructs/webhook-function.ts: ESM, node22, minified, source map without sources,
 * ESM builds of dependencies first, the AWS SDK bundled, the construct's banner), with
 * esbuild's JS API into a directory of ours.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const CONSTRUCT = join(REPO_ROOT, 'infra/constructs/webhook-function.ts');

/** The construct's banner, used when its source cannot be read (it defines one today). */
const FALLBACK_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export interface LambdaBundling {
  banner: string;
  mainFields: string[];
  /** Where the settings came from, for the notes. */
  source: string;
}

/**
 * Reads the bundling settings out of the construct's source, so that the bench follows it
 * when it changes; falls back to today's values if the construct is missing or reshaped.
 */
export function lambdaBundling(): LambdaBundling {
  try {
    const text = readFileSync(CONSTRUCT, 'utf8');
    const banner = /banner:\s*(["'`])((?:(?!\1).)*)\1/.exec(text)?.[2];
    const mainFields = /mainFields:\s*\[([^\]]*)\]/.exec(text)?.[1]?.match(/['"]([^'"]+)['"]/g)?.map((s) => s.slice(1, -1));
    return { banner: banner ?? '', mainFields: mainFields ?? ['module', 'main'], source: 'infra/constructs/webhook-function.ts' };
  } catch {
    return { banner: FALLBACK_BANNER, mainFields: ['module', 'main'], source: 'assumed (construct not readable)' };
  }
}

export interface Bundled {
  file: string;
  bytes: number;
  mapBytes: number;
}

function options(bundling: LambdaBundling, outfile: string): BuildOptions {
  return {
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: bundling.mainFields,
    banner: bundling.banner ? { js: bundling.banner } : undefined,
    logLevel: 'error',
  };
}

/** Bundles `entry` (a path under the repo) to `outfile`. */
export async function bundleEntry(entry: string, outfile: string, bundling: LambdaBundling): Promise<Bundled> {
  await build({ ...options(bundling, outfile), entryPoints: [join(REPO_ROOT, entry)] });
  return sized(outfile);
}

/** Bundles TypeScript source given as text, resolved from the repo root. */
export async function bundleSource(contents: string, name: string, outfile: string, bundling: LambdaBundling): Promise<Bundled> {
  await build({ ...options(bundling, outfile), stdin: { contents, resolveDir: REPO_ROOT, sourcefile: name, loader: 'ts' } });
  return sized(outfile);
}

function sized(file: string): Bundled {
  let mapBytes = 0;
  try {
    mapBytes = statSync(`${file}.map`).size;
  } catch {
    // no map written
  }
  return { file, bytes: statSync(file).size, mapBytes };
}
