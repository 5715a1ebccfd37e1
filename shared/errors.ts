/**
 * Domain errors. Domain code throws these; functions/http/errors.ts is the one table that
 * maps them to HTTP status codes and the contract's error body.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 404: absent, or another tenant's. */
export class NotFound extends DomainError {
  constructor(what = 'resource') {
    super('not_found', `The ${what} was not found.`);
  }
}

/** 409: the resource's state does not allow the request (`archived`, `validation_required`, `conflict`). */
export class Conflict extends DomainError {}

/** 422 `invalid_request` with details, or another 422 code such as `blocked_address`. */
export class InvalidRequest extends DomainError {
  constructor(message: string, details?: ErrorDetail[], code = 'invalid_request') {
    super(code, message, details);
  }
}

/** 422 `validation_failed`: a new URL did not answer the validation request with a 2xx. */
export class ValidationFailed extends DomainError {
  constructor(
    message: string,
    readonly validation: unknown,
  ) {
    super('validation_failed', message);
  }
}

export class Unauthorized extends DomainError {
  constructor() {
    super('unauthorized', 'A valid API key is required: send Authorization: Bearer <api key>.');
  }
}

export class MalformedJson extends DomainError {
  constructor() {
    super('malformed_json', 'The request body is not valid JSON.');
  }
}

export class PayloadTooLarge extends DomainError {
  constructor(limit: number) {
    super('payload_too_large', `The request body is larger than ${limit} bytes.`);
  }
}

export class UnsupportedMediaType extends DomainError {
  constructor() {
    super('unsupported_media_type', 'Send the request body as application/json.');
  }
}

export class MethodNotAllowed extends DomainError {
  constructor(method: string, path: string) {
    super('method_not_allowed', `${method} is not allowed on ${path}.`);
  }
}
