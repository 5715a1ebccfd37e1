import { describe, expect, it } from 'vitest';
import { ExportFailed, pollExport } from '../../console/src/lib/export-poll';
import type { ExportView } from '../../console/src/lib/types';

const job = (overrides: Partial<ExportView>): ExportView => ({
  id: 'exp_1',
  webhookId: 'wh_1',
  status: 'pending',
  rowCount: null,
  url: null,
  expiresAt: null,
  ...overrides,
});

/** A fake clock: sleeping advances it, so no test waits for real. */
function clock() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

describe('pollExport', () => {
  it('polls until the export is ready, backing off, and reports progress after every poll', async () => {
    const answers = [job({}), job({}), job({}), job({ status: 'ready', rowCount: 3, url: 'http://127.0.0.1:4566/b/k.csv?sig' })];
    const seen: string[] = [];
    const c = clock();
    const progress: { status: string; polls: number; elapsedMs: number }[] = [];
    const result = await pollExport(
      async (id) => {
        seen.push(id);
        return answers.shift()!;
      },
      'exp_1',
      { intervalMs: 500, maxIntervalMs: 1500, sleep: c.sleep, now: c.now, onProgress: (p) => progress.push(p) },
    );
    expect(result).toMatchObject({ status: 'ready', rowCount: 3, url: 'http://127.0.0.1:4566/b/k.csv?sig' });
    expect(seen).toEqual(['exp_1', 'exp_1', 'exp_1', 'exp_1']);
    expect(c.sleeps).toEqual([500, 1000, 1500]);
    expect(progress.map((p) => [p.status, p.polls, p.elapsedMs])).toEqual([
      ['pending', 1, 0],
      ['pending', 2, 500],
      ['pending', 3, 1500],
      ['ready', 4, 3000],
    ]);
  });

  it("rejects with the export's error when it failed", async () => {
    const c = clock();
    const error = await pollExport(async () => job({ status: 'failed', error: 'The table was unreachable.' }), 'exp_1', { sleep: c.sleep, now: c.now }).catch((e) => e);
    expect(error).toBeInstanceOf(ExportFailed);
    expect(error.message).toBe('The export failed: The table was unreachable.');
  });

  it('gives up after the timeout with a message saying to try again', async () => {
    const c = clock();
    const error = await pollExport(async () => job({}), 'exp_1', { sleep: c.sleep, now: c.now, timeoutMs: 5000, intervalMs: 1000, maxIntervalMs: 1000 }).catch((e) => e);
    expect(error).toBeInstanceOf(ExportFailed);
    expect(error.message).toMatch(/still being prepared after 5 s/);
    expect(c.sleeps).toHaveLength(5);
  });

  it('passes API errors through and stops when aborted', async () => {
    const boom = new Error('The API answered 500.');
    await expect(pollExport(async () => Promise.reject(boom), 'exp_1')).rejects.toBe(boom);

    const controller = new AbortController();
    let polls = 0;
    const aborted = pollExport(
      async () => {
        polls++;
        if (polls === 2) controller.abort();
        return job({});
      },
      'exp_1',
      { signal: controller.signal, intervalMs: 1 },
    );
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    expect(polls).toBe(2);
  });
});
