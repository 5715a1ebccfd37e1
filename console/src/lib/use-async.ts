import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export type Loaded<T> =
  | { state: 'loading'; data: T | undefined; error: null }
  | { state: 'ready'; data: T; error: null }
  | { state: 'error'; data: T | undefined; error: Error };

/**
 * Loads on mount and whenever `deps` change; a newer load wins over an older one still in
 * flight. `reload` runs it again; `set` replaces the data after a successful action.
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]) {
  const [value, setValue] = useState<Loaded<T>>({ state: 'loading', data: undefined, error: null });
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback(() => {
    const mine = ++generation.current;
    setValue((v) => ({ state: 'loading', data: v.data, error: null }));
    loadRef
      .current()
      .then((data) => {
        if (mine === generation.current) setValue({ state: 'ready', data, error: null });
      })
      .catch((error: unknown) => {
        if (mine === generation.current) setValue((v) => ({ state: 'error', data: v.data, error: asError(error) }));
      });
  }, []);

  useEffect(() => {
    run();
    return () => {
      generation.current++;
    };
  }, deps);

  const set = useCallback((data: T) => {
    generation.current++;
    setValue({ state: 'ready', data, error: null });
  }, []);

  return { ...value, reload: run, set };
}

/**
 * A button's request: `pending` while it runs (buttons show it and refuse a second click),
 * `error` when it failed, cleared on the next run.
 */
export function useAction() {
  const [pending, setPending] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const mounted = useRef(true);
  useEffect(() => () => void (mounted.current = false), []);

  const run = useCallback(async <T,>(name: string, action: () => Promise<T>): Promise<T | undefined> => {
    setPending(name);
    setError(null);
    try {
      return await action();
    } catch (e) {
      if (mounted.current) setError(asError(e));
      return undefined;
    } finally {
      if (mounted.current) setPending(null);
    }
  }, []);

  return { pending, error, run, clearError: () => setError(null), setError };
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
