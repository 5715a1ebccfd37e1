import type { TenantRepository } from './repository';

type Found = { tenantId: string; keyId: string } | null;

/** Pulls the key out of `Authorization: Bearer <key>`; anything else is no key. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S{8,512})\s*$/i.exec(header ?? '');
  return match ? match[1]! : null;
}

/**
 * Caches key lookups per container for `ttlMs`, good and bad answers alike: a revoked key
 * stops working within that time, and a flood of wrong keys does not hammer the table.
 */
export function createKeyCache(repo: Pick<TenantRepository, 'tenantForKey'>, ttlMs: number, now: () => number = Date.now) {
  const entries = new Map<string, { at: number; found: Found }>();
  return async (key: string): Promise<Found> => {
    const hit = entries.get(key);
    if (hit && now() - hit.at < ttlMs) return hit.found;
    const found = await repo.tenantForKey(key);
    entries.set(key, { at: now(), found });
    if (entries.size > 10_000) entries.delete(entries.keys().next().value!);
    return found;
  };
}

/** The tenant behind an Authorization header, or null. */
export async function authorize(header: string | undefined, lookup: (key: string) => Promise<Found>): Promise<Found> {
  const token = bearerToken(header);
  return token ? lookup(token) : null;
}
