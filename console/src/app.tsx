/** @jsxImportSource preact */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Link, PageHeader, Shell } from './components/layout';
import { createApi } from './lib/api';
import { AppContext, type AppContextValue } from './lib/app-context';
import { parseRoute, paths, usePath, type Route } from './lib/router';
import { session } from './lib/session';
import { EditWebhook } from './pages/edit-webhook';
import { NewWebhook } from './pages/new-webhook';
import { SignIn } from './pages/sign-in';
import { WebhookPage } from './pages/webhook-page';
import { WebhooksList } from './pages/webhooks-list';

const TITLES: Record<Route['page'], string> = {
  list: 'Webhooks',
  new: 'Add A Webhook',
  webhook: 'Webhook logs',
  edit: 'Edit webhook',
  notFound: 'Page not found',
};

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'list':
      return <WebhooksList key={route.tab} tab={route.tab} />;
    case 'new':
      return <NewWebhook />;
    case 'webhook':
      return <WebhookPage key={route.id} id={route.id} />;
    case 'edit':
      return <EditWebhook key={route.id} id={route.id} />;
    case 'notFound':
      return (
        <PageHeader title="Page not found">
          <p class="lead">
            There is no page at <code>{route.path}</code>. <Link to={paths.list()}>Go to Webhooks</Link>.
          </p>
        </PageHeader>
      );
  }
}

/** Signed out: the sign-in page. Signed in: the console, with the key in sessionStorage only. */
export function App() {
  const [apiKey, setApiKey] = useState<string | null>(() => session.get());
  const [message, setMessage] = useState<string | null>(null);
  const path = usePath();
  const route = parseRoute(path);
  const firstRender = useRef(true);

  const context = useMemo<AppContextValue | null>(() => {
    if (!apiKey) return null;
    const signOut = (why?: string) => {
      session.clear();
      setMessage(why ?? 'You are signed out.');
      setApiKey(null);
    };
    return {
      api: createApi({ apiKey, onUnauthorized: () => signOut('Your API key is no longer accepted. Sign in again.') }),
      signOut,
    };
  }, [apiKey]);

  useEffect(() => {
    document.title = `${context ? TITLES[route.page] : 'Sign in'} · Developer Tools`;
  }, [route.page, context]);

  // After a navigation inside the app, focus the new page's heading so that screen readers
  // announce it and Tab starts from the top of the page.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    document.querySelector<HTMLElement>('.page-title')?.focus();
  }, [path]);

  if (!context) {
    return (
      <SignIn
        message={message}
        onSignedIn={(key) => {
          session.set(key);
          setMessage(null);
          setApiKey(key);
        }}
      />
    );
  }
  return (
    <AppContext.Provider value={context}>
      <Shell onSignOut={() => context.signOut()}>
        <Page route={route} />
      </Shell>
    </AppContext.Provider>
  );
}
