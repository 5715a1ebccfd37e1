import type {
  AttemptRecord,
  ErrorDetail,
  EventType,
  ExportView,
  LogFilters,
  Page,
  Validation,
  Webhook,
  WebhookInput,
  WebhookPatch,
  WebhookStatus,
} from './types';

/**
 * An API answer that was not a success, with the contract's error body when there is one.
 * `message` is always a sentence fit to show: the API's own `error.message` when it sent
 * one, otherwise a description of what went wrong on the way.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** With 422 `validation_failed`: the result of the refused validation. */
    readonly validation: Validation | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Reads the contract's error body, or explains a body that is not one (a gateway's, a proxy's). */
export function toApiError(status: number, body: unknown): ApiError {
  const error = (body as { error?: unknown } | null)?.error;
  if (error && typeof error === 'object') {
    const e = error as { code?: unknown; message?: unknown; details?: unknown; validation?: unknown };
    const details = Array.isArray(e.details)
      ? e.details.filter((d): d is ErrorDetail => typeof d?.path === 'string' && typeof d?.message === 'string')
      : [];
    return new ApiError(
      status,
      typeof e.code === 'string' ? e.code : `http_${status}`,
      typeof e.message === 'string' && e.message ? e.message : `The API answered ${status}.`,
      details,
      e.validation && typeof e.validation === 'object' ? (e.validation as Validation) : null,
    );
  }
  // API Gateway's own bodies are {"message": "..."}.
  const gatewayMessage = (body as { message?: unknown } | null)?.message;
  if (status === 401) return new ApiError(401, 'unauthorized', 'The API key was not accepted.');
  if (typeof gatewayMessage === 'string' && gatewayMessage) {
    return new ApiError(status, `http_${status}`, `The API answered ${status}: ${gatewayMessage}.`);
  }
  return new ApiError(status, `http_${status}`, `The API answered ${status} with an unexpected response.`);
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiClientOptions {
  apiKey: string;
  /** Same origin by default: the console and the API share a host (CloudFront routes /v1/*). */
  baseUrl?: string;
  fetch?: FetchLike;
  /** Called on every 401, so that the app can sign out. */
  onUnauthorized?: (error: ApiError) => void;
}

const query = (params: Record<string, string | number | undefined | null>): string => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
};

const enc = encodeURIComponent;

/** The management API, one method per route the console uses. */
export function createApi(options: ApiClientOptions) {
  const base = options.baseUrl ?? '';
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await doFetch(base + path, {
        method,
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        // The key travels in the header only; no cookies are involved.
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (cause) {
      throw new ApiError(0, 'network', `Could not reach the API (${(cause as Error)?.message ?? String(cause)}). Check your connection and try again.`);
    }
    const text = await res.text().catch(() => '');
    let json: unknown = undefined;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (!res.ok) {
      const error = toApiError(res.status, json);
      if (res.status === 401) options.onUnauthorized?.(error);
      throw error;
    }
    if (text && json === undefined) throw new ApiError(res.status, 'bad_response', `The API answered ${res.status} with a body that is not JSON.`);
    return json as T;
  }

  const webhook = (id: string) => `/v1/webhooks/${enc(id)}`;

  return {
    listWebhooks: (params: { status?: WebhookStatus; cursor?: string | null; limit?: number } = {}) =>
      call<Page<Webhook>>('GET', `/v1/webhooks${query({ status: params.status, cursor: params.cursor, limit: params.limit })}`),
    getWebhook: (id: string) => call<Webhook>('GET', webhook(id)),
    createWebhook: (input: WebhookInput) => call<Webhook & { secret: string }>('POST', '/v1/webhooks', input),
    updateWebhook: (id: string, patch: WebhookPatch) => call<Webhook>('PATCH', webhook(id), patch),
    validate: (id: string) => call<Webhook>('POST', `${webhook(id)}/validate`),
    activate: (id: string) => call<Webhook>('POST', `${webhook(id)}/activate`),
    deactivate: (id: string) => call<Webhook>('POST', `${webhook(id)}/deactivate`),
    archive: (id: string) => call<Webhook>('POST', `${webhook(id)}/archive`),
    restore: (id: string) => call<Webhook>('POST', `${webhook(id)}/restore`),
    getSecret: (id: string) => call<{ secret: string }>('GET', `${webhook(id)}/secret`),
    rotateSecret: (id: string) => call<{ secret: string }>('POST', `${webhook(id)}/secret/rotate`),
    sendTest: (id: string, eventType: EventType) => call<AttemptRecord>('POST', `${webhook(id)}/test`, { eventType }),
    listLogs: (id: string, params: LogFilters & { cursor?: string | null; limit?: number } = {}) =>
      call<Page<AttemptRecord>>(
        'GET',
        `${webhook(id)}/logs${query({ outcome: params.outcome, eventType: params.eventType, cursor: params.cursor, limit: params.limit })}`,
      ),
    clearLogs: (id: string) => call<{ status: string }>('DELETE', `${webhook(id)}/logs`),
    startExport: (id: string, filters: LogFilters) => call<{ id: string; status: string }>('POST', `${webhook(id)}/logs/export`, filters),
    getExport: (exportId: string) => call<ExportView>('GET', `/v1/exports/${enc(exportId)}`),
  };
}

export type Api = ReturnType<typeof createApi>;
