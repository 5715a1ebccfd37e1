/** @jsxImportSource preact */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useApp } from '../lib/app-context';
import { pollExport, type ExportProgress } from '../lib/export-poll';
import type { LogFilters } from '../lib/types';
import { DownloadIcon } from './icons';
import { ErrorNotice } from './notice';

type State =
  | { kind: 'idle' }
  | { kind: 'preparing'; progress: ExportProgress | null }
  | { kind: 'ready'; url: string; rowCount: number | null }
  | { kind: 'error'; error: Error };

/** Starts the browser's download of a presigned link (a Content-Disposition: attachment answer). */
function startDownload(url: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/**
 * Download CSV: starts an export of the logs with the current filters, polls it while it
 * is prepared (saying so), then downloads through the presigned link.
 */
export function ExportButton({ webhookId, filters }: { webhookId: string; filters: LogFilters }) {
  const { api } = useApp();
  const [state, setState] = useState<State>({ kind: 'idle' });
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const run = async () => {
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setState({ kind: 'preparing', progress: null });
    try {
      const started = await api.startExport(webhookId, filters);
      const job = await pollExport(api.getExport, started.id, {
        signal: controller.signal,
        onProgress: (progress) => !controller.signal.aborted && setState({ kind: 'preparing', progress }),
      });
      if (controller.signal.aborted) return;
      setState({ kind: 'ready', url: job.url!, rowCount: job.rowCount });
      startDownload(job.url!);
    } catch (error) {
      if (!controller.signal.aborted) setState({ kind: 'error', error: error as Error });
    }
  };

  const preparing = state.kind === 'preparing';
  return (
    <div class="export">
      <button type="button" class="btn btn-primary" onClick={() => void run()} disabled={preparing} aria-describedby="export-status">
        <DownloadIcon /> {preparing ? 'Preparing CSV…' : 'Download CSV'}
      </button>
      <div id="export-status" class="export-status" role="status" aria-live="polite">
        {preparing && (
          <span>
            <span class="spinner" aria-hidden="true" />
            Preparing the CSV{state.progress ? ` (${Math.round(state.progress.elapsedMs / 1000)} s)` : ''}…
          </span>
        )}
        {state.kind === 'ready' && (
          <span>
            CSV ready{state.rowCount !== null ? ` (${state.rowCount} ${state.rowCount === 1 ? 'row' : 'rows'})` : ''}: downloading.{' '}
            <a href={state.url} rel="noopener">
              Download again
            </a>
          </span>
        )}
      </div>
      {state.kind === 'error' && <ErrorNotice title="The CSV could not be prepared." error={state.error} onRetry={() => void run()} />}
    </div>
  );
}
