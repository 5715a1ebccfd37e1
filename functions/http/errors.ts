import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { DomainError, ValidationFailed, type ErrorDetail } from '../../shared/errors';

/** The one table from domain errors to HTTP status codes. */
const STATUS: Record<string, number> = {
  malformed_json: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_request: 422,
  blocked_address: 422,
  validation_failed: 422,
};
/** Every other DomainError code is a state conflict. */
const CONFLICT = 409;

/** Fields a client may read but never write: refused by name. */
const READ_ONLY = new Set(['id', 'status', 'secret', 'tenantId', 'validation', 'createdAt', 'updatedAt', 'deactivatedReason', 'version']);

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().describe('snake_case, stable: branch on it.'),
    message: z.string().describe('A human sentence.'),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    validation: z.unknown().optional().describe('With validation_failed: the validation result.'),
  }),
});

/** zod issues as the contract's details: dotted paths, unknown and read-only fields by name. */
export function zodDetails(error: z.ZodError, prefix?: string): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const join = (path: PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.') || (prefix ?? 'body');
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        details.push({
          path: join([...issue.path, key]),
          message: READ_ONLY.has(key) ? `${key} is read-only and cannot be set.` : `${key} is not a known field.`,
        });
      }
    } else {
      details.push({ path: join(issue.path), message: issue.message });
    }
  }
  return details;
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }, body: JSON.stringify(body) };
}

export function errorResponse(
  code: string,
  message: string,
  status: number,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return json(status, { error: { code, message, ...extra } }, headers);
}

/**
 * Maps anything thrown to the contract's error body. Unmapped errors are a 500 with a
 * generic message; their detail goes to the log only.
 */
export function toHttpError(error: unknown, log: (e: unknown) => void): APIGatewayProxyStructuredResultV2 {
  if (error instanceof z.ZodError) {
    return errorResponse('invalid_request', 'The request is not valid: see details.', 422, { details: zodDetails(error) });
  }
  if (error instanceof DomainError) {
    const extra: Record<string, unknown> = {};
    if (error.details?.length) extra.details = error.details;
    if (error instanceof ValidationFailed) extra.validation = error.validation;
    // A 405 names the methods the path has (the router's MethodNotAllowedOn carries them).
    const allow = (error as { allow?: unknown }).allow;
    const headers: Record<string, string> = Array.isArray(allow) ? { allow: allow.join(', ') } : {};
    return errorResponse(error.code, error.message, STATUS[error.code] ?? CONFLICT, extra, headers);
  }
  log(error);
  return errorResponse('internal', 'Something went wrong on our side. Try again; if it persists, contact support.', 500);
}

export { json };
