const KEY = 'lms-webhooks.api-key';

/**
 * The API key lives in sessionStorage only: it is gone when the tab closes, is never put in
 * a cookie or localStorage, and is sent only as the Authorization header.
 */
export const session = {
  get(): string | null {
    try {
      return sessionStorage.getItem(KEY);
    } catch {
      return null;
    }
  },
  set(apiKey: string): void {
    sessionStorage.setItem(KEY, apiKey);
  },
  clear(): void {
    try {
      sessionStorage.removeItem(KEY);
    } catch {
      // Storage blocked: nothing was stored.
    }
  },
};
