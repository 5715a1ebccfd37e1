/**
 * Bundle size and cold-start module initialisation of each Lambda entry, against a floor
 * bundle per function that holds only the AWS SDK clients that function cannot do without
 * (bundled and imported the same way): what our own code and libraries add on top.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleEntry, bundleSource, lambdaBundling, type Bundled } from '../lambda-bundle';
import { median, progress } from '../report';

export const FUNCTIONS = ['api', 'authorizer', 'fanout', 'deliver', 'export'] as const;
export type FunctionKey = (typeof FUNCTIONS)[number];

const DDB = "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';";
const DDB_USE = 'DynamoDBDocumentClient.from(new DynamoDBClient({}))';
/** The SDK clients each function has to have (which AWS APIs it calls). */
const FLOORS: Record<FunctionKey, { imports: string; uses: string; what: string }> = {
  api: {
    imports: `${DDB} import { SQSClient } from '@aws-sdk/client-sqs'; import { S3Client, GetObjectCommand } from '@aws-sdk/client-s3'; import { getSignedUrl } from '@aws-sdk/s3-request-presigner';`,
    uses: `${DDB_USE}, new SQSClient({}), new S3Client({}), GetObjectCommand, getSignedUrl`,
    what: 'DynamoDB document client, SQS, S3 + presigner',
  },
  authorizer: { imports: DDB, uses: DDB_USE, what: 'DynamoDB document client' },
  fanout: { imports: `${DDB} import { SQSClient } from '@aws-sdk/client-sqs';`, uses: `${DDB_USE}, new SQSClient({})`, what: 'DynamoDB document client, SQS' },
  deliver: { imports: `${DDB} import { SQSClient } from '@aws-sdk/client-sqs';`, uses: `${DDB_USE}, new SQSClient({})`, what: 'DynamoDB document client, SQS' },
  export: {
    imports: `${DDB} import { S3Client } from '@aws-sdk/client-s3'; import { Upload } from '@aws-sdk/lib-storage';`,
    uses: `${DDB_USE}, new S3Client({}), Upload`,
    what: 'DynamoDB document client, S3 + lib-storage',
  },
};

export interface BundleRun {
  name: FunctionKey;
  bundle: Bundled;
  floor: Bundled;
  floorWhat: string;
  /** Median `await import()` of the bundle in a fresh node, with and without --enable-source-maps. */
  initMs: number;
  initMsNoMaps: number;
  floorInitMs: number;
}

export interface BundlesRun {
  functions: BundleRun[];
  emptyImportMs: number;
  bundlingSource: string;
  banner: boolean;
}

// Measures only the import: process start-up and the loader are outside the two marks.
const LOADER = 'const t0 = performance.now(); await import(process.env.BENCH_IMPORT); process.stdout.write(String(performance.now() - t0));';

/** The environment a deployed function has at import (none of it is read then, but modules may). */
function lambdaEnv(sourceMaps: boolean): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    TABLE_NAME: 'webhooks',
    // The deployed functions run with source maps on (the construct sets NODE_OPTIONS).
    NODE_OPTIONS: sourceMaps ? '--enable-source-maps' : '',
  };
}

function importMs(url: string, sourceMaps: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', LOADER], { env: { ...lambdaEnv(sourceMaps), BENCH_IMPORT: url }, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`importing ${url} failed: ${stderr || error.message}`));
      else resolve(Number(stdout));
    });
  });
}

async function medianImport(url: string, runs: number, sourceMaps: boolean): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await importMs(url, sourceMaps));
  return median(times);
}

/** Bundles every function and its floor into `dir`, then times their imports in fresh processes. */
export async function runBundles(args: { dir: string; initRuns: number }): Promise<BundlesRun> {
  const bundling = lambdaBundling();
  progress(`bundles: esbuild ${FUNCTIONS.length} functions and their floors (settings from ${bundling.source})`);
  const built = await Promise.all(
    FUNCTIONS.map(async (name) => {
      const floor = FLOORS[name];
      const [bundle, floorBundle] = await Promise.all([
        bundleEntry(`functions/${name}.ts`, join(args.dir, name, 'index.mjs'), bundling),
        bundleSource(`${floor.imports}\nexport const handler = async () => [${floor.uses}];\n`, `floor-${name}.ts`, join(args.dir, `floor-${name}`, 'index.mjs'), bundling),
      ]);
      return { name, bundle, floorBundle, floorWhat: floor.what };
    }),
  );

  const functions: BundleRun[] = [];
  for (const b of built) {
    progress(`bundles: init of ${b.name}, ${args.initRuns} fresh processes each`);
    const url = pathToFileURL(b.bundle.file).href;
    functions.push({
      name: b.name,
      bundle: b.bundle,
      floor: b.floorBundle,
      floorWhat: b.floorWhat,
      initMs: await medianImport(url, args.initRuns, true),
      initMsNoMaps: await medianImport(url, args.initRuns, false),
      floorInitMs: await medianImport(pathToFileURL(b.floorBundle.file).href, args.initRuns, true),
    });
  }
  const emptyImportMs = await medianImport('data:text/javascript,export{}', args.initRuns, true);
  return { functions, emptyImportMs, bundlingSource: bundling.source, banner: Boolean(bundling.banner) };
}
