/** @jsxImportSource preact */
import { useState } from 'preact/hooks';
import { useApp } from '../lib/app-context';
import type { Webhook } from '../lib/types';
import { useAction } from '../lib/use-async';
import { ConfirmDialog } from './confirm-dialog';
import { ErrorNotice, Notice } from './notice';

/** Copies text; says so, or says to copy by hand when the browser refuses (no clipboard permission). */
function CopyButton({ text }: { text: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <>
      <button
        type="button"
        class="btn btn-small"
        onClick={() => {
          if (!navigator.clipboard) return setState('failed');
          navigator.clipboard.writeText(text).then(
            () => setState('copied'),
            () => setState('failed'),
          );
        }}
      >
        Copy
      </button>
      <span class="muted" role="status">
        {state === 'copied' ? 'Copied.' : state === 'failed' ? 'Select the secret and copy it by hand.' : ''}
      </span>
    </>
  );
}

/** A secret with a Copy button. */
export function SecretValue({ secret }: { secret: string }) {
  return (
    <div class="secret">
      <code class="secret-value" data-testid="secret-value">
        {secret}
      </code>
      <CopyButton text={secret} />
    </div>
  );
}

/**
 * Reveal secret and Rotate secret (the old one keeps signing for 24 h, after a
 * confirmation); `initialSecret` shows one already known, e.g. right after creation.
 */
export function SecretPanel({ webhook, initialSecret }: { webhook: Webhook; initialSecret?: string }) {
  const { api } = useApp();
  const [secret, setSecret] = useState<string | null>(initialSecret ?? null);
  const [rotated, setRotated] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const archived = webhook.status === 'archived';

  return (
    <section class="card" aria-labelledby="secret-title">
      <h3 id="secret-title" class="card-title">
        Signing secret
      </h3>
      <p class="muted">
        Receivers verify the <code>webhook-signature</code> header with this secret (Standard Webhooks).
      </p>
      {secret && <SecretValue secret={secret} />}
      {rotated && (
        <Notice kind="success">The secret was rotated. The old secret still signs deliveries (as a second signature) for 24 hours.</Notice>
      )}
      <div class="button-row">
        {secret ? (
          <button type="button" class="btn" onClick={() => setSecret(null)}>
            Hide secret
          </button>
        ) : (
          <button
            type="button"
            class="btn"
            disabled={action.pending !== null}
            onClick={() => void action.run('reveal', async () => setSecret((await api.getSecret(webhook.id)).secret))}
          >
            {action.pending === 'reveal' ? 'Loading…' : 'Reveal secret'}
          </button>
        )}
        <button type="button" class="btn" disabled={archived || action.pending !== null} onClick={() => setConfirming(true)}>
          Rotate secret
        </button>
      </div>
      {action.error && <ErrorNotice error={action.error} />}
      <ConfirmDialog
        open={confirming}
        title="Rotate the signing secret?"
        confirmLabel="Rotate secret"
        pending={action.pending === 'rotate'}
        onCancel={() => setConfirming(false)}
        onConfirm={() =>
          void action.run('rotate', async () => {
            try {
              const next = await api.rotateSecret(webhook.id);
              setSecret(next.secret);
              setRotated(true);
            } finally {
              setConfirming(false);
            }
          })
        }
      >
        <p>
          A new secret signs every delivery from now on. The current one keeps signing too, as a second signature, for 24
          hours: update your receiver within that time.
        </p>
      </ConfirmDialog>
    </section>
  );
}
