import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { config } from '../shared/config';
import { documentClient } from '../shared/aws/clients';
import { createLogger, errorFields } from '../shared/log';
import { TenantRepository } from '../shared/tenants/repository';
import { authorize, createKeyCache } from '../shared/tenants/authorize';

const log = createLogger('authorizer');
let lookup: ReturnType<typeof createKeyCache> | undefined;

/** What the api function finds in `requestContext.authorizer.lambda`. */
export interface AuthorizerContext {
  /** The key's tenant; '' for a missing, malformed, unknown or revoked key. */
  tenantId: string;
  keyId: string;
  /** Set when the key could not be checked (table unreachable): the api answers 500. */
  error?: 'key_lookup_failed';
}

/**
 * The HTTP API's Lambda authorizer (simple responses). It always answers isAuthorized:
 * true and passes `tenantId` ('' for a missing or unknown key): HTTP APIs cannot shape the
 * body of their own 401/403, so the api function answers the contract's 401 itself. A
 * failed lookup fails closed the same way (no tenant) and is flagged, so the api answers
 * the contract's 500 instead of API Gateway's own.
 */
export async function handler(event: APIGatewayRequestAuthorizerEventV2): Promise<{ isAuthorized: boolean; context: AuthorizerContext }> {
  lookup ??= createKeyCache(new TenantRepository(documentClient(), config().tableName), config().authorizerCacheTtlSeconds * 1000);
  try {
    const found = await authorize(event.headers?.authorization ?? event.identitySource?.[0], lookup);
    return { isAuthorized: true, context: { tenantId: found?.tenantId ?? '', keyId: found?.keyId ?? '' } };
  } catch (error) {
    log.error('key lookup failed', errorFields(error));
    return { isAuthorized: true, context: { tenantId: '', keyId: '', error: 'key_lookup_failed' } };
  }
}
