import type { Webhook } from './model';

/**
 * Per-container cache of webhook reads for the delivery worker. Entries live `ttlMs` at
 * most, so a deactivation, an archive or a URL change takes effect within that time.
 */
export function cachedWebhookReader(
  read: (tenantId: string, id: string) => Promise<Webhook | null>,
  ttlMs: number,
  now: () => number = Date.now,
) {
  const entries = new Map<string, { at: number; value: Promise<Webhook | null> }>();
  return async (tenantId: string, id: string): Promise<Webhook | null> => {
    const key = `${tenantId}#${id}`;
    const hit = entries.get(key);
    if (hit && now() - hit.at < ttlMs) return hit.value;
    const value = read(tenantId, id);
    entries.set(key, { at: now(), value });
    // A failed read must not be cached.
    value.catch(() => entries.delete(key));
    if (entries.size > 5_000) entries.delete(entries.keys().next().value!);
    return value;
  };
}
