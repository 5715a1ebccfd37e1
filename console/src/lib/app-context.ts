import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from './api';

export interface AppContextValue {
  api: Api;
  signOut(message?: string): void;
}

export const AppContext = createContext<AppContextValue | null>(null);

/** The signed-in API client; only pages inside the signed-in shell call this. */
export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside the signed-in app');
  return value;
}
