import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { config } from '../shared/config';
import { documentClient } from '../shared/aws/clients';
import { createLogger, errorFields } from '../shared/log';
import { TenantRepository } from '../shared/tenants/repository';
import { authorize, createKeyCache } from '../shared/tenants/authorize';
import { AUTHORIZER_CACHE_TTL_SECONDS } from '../infra/resources';

const log = createLogger('authorizer');
let lookup: ReturnType<typeof createKeyCache> | undefined;

/**
 * The HTTP API's Lambda authorizer (simple responses). It always answers isAuthorized:
 * true and passes `tenantId` ('' for a missing or unknown key): HTTP APIs cannot shape the
 * body of their own 401/403, so the api function answers the contract's 401 itself.
 */
export async function handler(event: APIGatewayRequestAuthorizerEventV2): Promise<{ isAuthorized: boolean; context: { tenantId: string; keyId: string } }> {
  lookup ??= createKeyCache(new TenantRepository(documentClient(), config().tableName), AUTHORIZER_CACHE_TTL_SECONDS * 1000);
  try {
    const found = await authorize(event.headers?.authorization ?? event.identitySource?.[0], lookup);
    return { isAuthorized: true, context: { tenantId: found?.tenantId ?? '', keyId: found?.keyId ?? '' } };
  } catch (error) {
    // Fail closed: the api function answers 401 for an empty tenant.
    log.error('key lookup failed', errorFields(error));
    throw error;
  }
}
