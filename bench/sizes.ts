/**
 * How big each scenario is per mode. `full` is the size (run on a quiet machine),
 * `quick` validates the harness in a few minutes, `smoke` is the tiny iteration the unit
 * test runs: every scenario, every result name, seconds of work.
 */
export type Mode = 'full' | 'quick' | 'smoke';

export interface Sizes {
  /** Events published in the measured pipeline run; each goes to `pipelineWebhooks` webhooks. */
  pipelineEvents: number;
  pipelineWebhooks: number;
  /** Events published before measuring (connections, caches, moto's first-use costs). */
  pipelineWarmupEvents: number;
  /** Active webhooks of one tenant that one event fans out to. */
  fanoutWebhooks: number;
  fanoutRuns: number;
  /** Log records seeded for the CSV export. */
  exportRows: number;
  exportRuns: number;
  /** API requests measured (half GET webhook, half list), after `apiWarmup`. */
  apiRequests: number;
  apiWarmup: number;
  apiConcurrency: number;
  /** Fresh `node` processes per bundle for the init time (median). */
  initRuns: number;
  /** Batches of 10 timed per handler for the cost model. */
  timedBatches: number;
  /** Give up on a pipeline run after this long (the table says so instead of hanging). */
  pipelineTimeoutMs: number;
}

export const SIZES: Record<Mode, Sizes> = {
  full: {
    pipelineEvents: 1_000,
    pipelineWebhooks: 2,
    pipelineWarmupEvents: 50,
    fanoutWebhooks: 1_000,
    fanoutRuns: 5,
    exportRows: 100_000,
    exportRuns: 1,
    apiRequests: 2_000,
    apiWarmup: 100,
    apiConcurrency: 16,
    initRuns: 5,
    timedBatches: 20,
    pipelineTimeoutMs: 300_000,
  },
  quick: {
    pipelineEvents: 100,
    pipelineWebhooks: 2,
    pipelineWarmupEvents: 10,
    fanoutWebhooks: 1_000,
    fanoutRuns: 3,
    exportRows: 5_000,
    exportRuns: 1,
    apiRequests: 400,
    apiWarmup: 32,
    apiConcurrency: 16,
    initRuns: 5,
    timedBatches: 5,
    pipelineTimeoutMs: 120_000,
  },
  smoke: {
    pipelineEvents: 5,
    pipelineWebhooks: 2,
    pipelineWarmupEvents: 2,
    fanoutWebhooks: 20,
    fanoutRuns: 1,
    exportRows: 60,
    exportRuns: 1,
    apiRequests: 32,
    apiWarmup: 8,
    apiConcurrency: 16,
    initRuns: 1,
    timedBatches: 1,
    pipelineTimeoutMs: 30_000,
  },
};
