import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createLogger, errorFields } from '../shared/log';
import { toHttpError } from './http/errors';
import { route } from './http/router';
import { buildServices, type Services } from './http/services';

const log = createLogger('api');
let services: Services | undefined;

/** The management API: route -> one use case -> respond. Errors go through the one table. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>()
  .handler(async (event) => {
    services ??= buildServices();
    return route(event, services);
  })
  .onError(async (request) => {
    request.response = toHttpError(request.error, (error) =>
      log.error('unhandled error', { path: request.event.rawPath, method: request.event.requestContext?.http?.method, ...errorFields(error), stack: (error as Error)?.stack }),
    );
  });
