import { useEffect, useState } from 'preact/hooks';

/** The console's pages, from the path. Anything unknown is `notFound`, never a blank page. */
export type Route =
  | { page: 'list'; tab: 'current' | 'archived' }
  | { page: 'new' }
  | { page: 'webhook'; id: string }
  | { page: 'edit'; id: string }
  | { page: 'notFound'; path: string };

/** Reads a path such as `/webhooks/wh_01.../edit`. */
export function parseRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/webhooks') return { page: 'list', tab: 'current' };
  if (path === '/webhooks/archived') return { page: 'list', tab: 'archived' };
  if (path === '/webhooks/new') return { page: 'new' };
  const match = /^\/webhooks\/([^/]+)(\/edit)?$/.exec(path);
  if (match) {
    let id: string;
    try {
      id = decodeURIComponent(match[1]!);
    } catch {
      return { page: 'notFound', path: pathname };
    }
    return match[2] ? { page: 'edit', id } : { page: 'webhook', id };
  }
  return { page: 'notFound', path: pathname };
}

export const paths = {
  list: () => '/webhooks',
  archived: () => '/webhooks/archived',
  new: () => '/webhooks/new',
  webhook: (id: string) => `/webhooks/${encodeURIComponent(id)}`,
  edit: (id: string) => `/webhooks/${encodeURIComponent(id)}/edit`,
};

/** A message to show on the next page (e.g. "Saved." after an edit). */
let flash: string | null = null;
export function takeFlash(): string | null {
  const message = flash;
  flash = null;
  return message;
}

const listeners = new Set<() => void>();

/** Goes to a page without reloading; `message` is shown there once. */
export function navigate(to: string, options: { replace?: boolean; message?: string } = {}): void {
  if (options.message) flash = options.message;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.scrollTo?.(0, 0);
  for (const listener of listeners) listener();
}

/** The current path, updated on navigation and on back/forward. */
export function usePath(): string {
  const [path, setPath] = useState(() => location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return path;
}

/** For links: a plain left click navigates in the app; modified clicks open tabs as usual. */
export function onLinkClick(event: MouseEvent, to: string): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(to);
}
