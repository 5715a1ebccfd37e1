/** @jsxImportSource preact */
import { useState } from 'preact/hooks';
import { ErrorNotice, Notice } from '../components/notice';
import { WebhookIcon } from '../components/icons';
import { ApiError, createApi } from '../lib/api';

/** The API key is checked with one cheap list call before it is kept (sessionStorage only). */
export function SignIn({ message, onSignedIn }: { message?: string | null; onSignedIn: (apiKey: string) => void }) {
  const [apiKey, setApiKey] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [empty, setEmpty] = useState(false);

  const submit = async () => {
    const key = apiKey.trim();
    setError(null);
    if (!key) {
      setEmpty(true);
      document.getElementById('api-key')?.focus();
      return;
    }
    setEmpty(false);
    setPending(true);
    try {
      await createApi({ apiKey: key }).listWebhooks({ limit: 1 });
      onSignedIn(key);
    } catch (e) {
      setError(e as Error);
      setPending(false);
      document.getElementById('api-key')?.focus();
    }
  };

  const rejected = error instanceof ApiError && error.status === 401;
  return (
    <main class="signin" id="main">
      <div class="signin-card">
        <p class="brand brand-large">
          <WebhookIcon /> LMS Admin
        </p>
        <p class="eyebrow">Developer Tools</p>
        <h1 class="signin-title">Sign in to Webhooks</h1>
        {message && <Notice kind="info">{message}</Notice>}
        <form
          class="form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (!pending) void submit();
          }}
        >
          <div class="field">
            <label for="api-key">API key</label>
            <input
              id="api-key"
              name="api-key"
              type="password"
              autocomplete="off"
              spellcheck={false}
              value={apiKey}
              onInput={(e) => setApiKey(e.currentTarget.value)}
              aria-invalid={empty || rejected ? 'true' : undefined}
              aria-describedby={empty ? 'api-key-error api-key-help' : 'api-key-help'}
            />
            <p class="help" id="api-key-help">
              Your organisation's management API key. It is kept in this browser tab only (session storage) and sent
              to the API as a bearer token.
            </p>
            {empty && (
              <p class="field-error" id="api-key-error">
                Enter your API key.
              </p>
            )}
          </div>
          {error && <ErrorNotice title={rejected ? 'That API key was not accepted.' : 'Could not sign in.'} error={error} />}
          <div class="form-actions">
            <button type="submit" class="btn btn-primary" disabled={pending}>
              {pending ? 'Signing in…' : 'Sign in'}
            </button>
          </div>
        </form>
      </div>
    </main>
  );
}
