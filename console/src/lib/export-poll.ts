import type { ExportView } from './types';

export interface ExportProgress {
  status: ExportView['status'];
  /** Polls made so far. */
  polls: number;
  elapsedMs: number;
}

export interface PollOptions {
  /** First wait between polls; doubles up to `maxIntervalMs`. */
  intervalMs?: number;
  maxIntervalMs?: number;
  /** Gives up after this long (the export is still running; the user can try again). */
  timeoutMs?: number;
  onProgress?: (progress: ExportProgress) => void;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

export class ExportFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportFailed';
  }
}

const abortError = () => new DOMException('The export was cancelled.', 'AbortError');

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Polls `GET /v1/exports/{id}` until the export is ready (and has its presigned url), and
 * returns it. A failed export, a timeout or an API error rejects; progress is reported
 * after every poll so the page can say how long it has been preparing.
 */
export async function pollExport(get: (id: string) => Promise<ExportView>, id: string, options: PollOptions = {}): Promise<ExportView> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? (() => Date.now());
  const maxInterval = options.maxIntervalMs ?? 3000;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const started = now();
  let interval = options.intervalMs ?? 500;
  for (let polls = 1; ; polls++) {
    if (options.signal?.aborted) throw abortError();
    const job = await get(id);
    const elapsedMs = now() - started;
    options.onProgress?.({ status: job.status, polls, elapsedMs });
    if (job.status === 'ready' && job.url) return job;
    if (job.status === 'failed') throw new ExportFailed(job.error ? `The export failed: ${job.error}` : 'The export failed. Try again.');
    if (elapsedMs >= timeoutMs) {
      throw new ExportFailed(`The export is still being prepared after ${Math.round(elapsedMs / 1000)} s. Try Download CSV again in a moment.`);
    }
    await sleep(interval, options.signal);
    interval = Math.min(maxInterval, interval * 2);
  }
}
