/** @jsxImportSource preact */
import type { ComponentChildren } from 'preact';
import { ApiError } from '../lib/api';
import { AlertIcon, CheckIcon, InfoIcon } from './icons';

type Kind = 'error' | 'success' | 'info' | 'warning';

/** A message box. Errors and warnings are announced at once (role=alert), others politely. */
export function Notice({ kind, children, id }: { kind: Kind; children: ComponentChildren; id?: string }) {
  const icon = kind === 'success' ? <CheckIcon /> : kind === 'info' ? <InfoIcon /> : <AlertIcon />;
  return (
    <div id={id} class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      <span class="notice-icon">{icon}</span>
      <div class="notice-body">{children}</div>
    </div>
  );
}

/** The API's own message (error.message), with its code for support, and a retry when one makes sense. */
export function ErrorNotice({ error, onRetry, title, details = [] }: { error: Error; onRetry?: () => void; title?: string; details?: string[] }) {
  const code = error instanceof ApiError ? error.code : null;
  return (
    <Notice kind="error">
      {title && <strong class="notice-title">{title}</strong>}
      <span>{error.message}</span>
      {code && code !== 'network' && <span class="muted"> ({code})</span>}
      {details.length > 0 && (
        <ul class="notice-list">
          {details.map((d) => (
            <li key={d}>{d}</li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" class="btn btn-small notice-action" onClick={onRetry}>
          Try again
        </button>
      )}
    </Notice>
  );
}

export function Loading({ label }: { label: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

/** The "Load more" button of a paged list, with its loading and error states. */
export function LoadMore({ show, pending, error, onLoad }: { show: boolean; pending: boolean; error: Error | null; onLoad: () => void }) {
  return (
    <>
      {show && (
        <div class="load-more">
          <button type="button" class="btn" onClick={onLoad} disabled={pending}>
            {pending ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
      {error && <ErrorNotice error={error} onRetry={onLoad} />}
    </>
  );
}
