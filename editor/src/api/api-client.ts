/** An error answer of the API (`{ error: { code, message, details? } }`), or a network failure (status 0). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Called when the API answers 401: the session is gone and the user must log in again. */
export type UnauthorizedHandler = () => void;

/** The CSRF cookie the server sets beside the httpOnly session cookie, and the header that echoes it. */
const CSRF_COOKIE = 'om_csrf';
const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function csrfToken(): string | null {
  for (const part of document.cookie.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === CSRF_COOKIE) return decodeURIComponent(value.join('='));
  }
  return null;
}

/**
 * A thin client of the product's HTTP API. The session is the httpOnly cookie the server set at
 * login, which no script here can read (a script injected into the page cannot steal it);
 * state-changing calls echo the readable CSRF cookie in a header, which another site cannot do.
 */
export class ApiClient {
  constructor(
    private readonly onUnauthorized: UnauthorizedHandler = () => undefined,
    private readonly base = '/api/v1',
  ) {}

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, undefined, signal);
  }
  post<T>(path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>('POST', path, body ?? {}, signal);
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }
  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }
  /** POSTs a file as the request body itself (the browser streams it), for uploads such as a CSV import. */
  upload<T>(path: string, file: Blob, contentType: string): Promise<T> {
    return this.request<T>('POST', path, undefined, undefined, { body: file, contentType });
  }

  /** A raw streaming request (server-sent events); the session cookie goes with it. */
  stream(path: string, signal: AbortSignal): Promise<Response> {
    return fetch(this.base + path, { headers: this.headers('GET', false), credentials: 'same-origin', signal });
  }

  private headers(method: string, json: boolean): Record<string, string> {
    const headers: Record<string, string> = {};
    if (json) headers['content-type'] = 'application/json';
    const csrf = SAFE_METHODS.has(method) ? null : csrfToken();
    if (csrf) headers[CSRF_HEADER] = csrf;
    return headers;
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    raw?: { body: Blob; contentType: string },
  ): Promise<T> {
    let res: Response;
    try {
      const headers = this.headers(method, body !== undefined);
      if (raw) headers['content-type'] = raw.contentType;
      res = await fetch(this.base + path, {
        method,
        headers,
        credentials: 'same-origin',
        body: raw ? raw.body : body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (cause) {
      if ((cause as Error).name === 'AbortError') throw cause;
      throw new ApiError(0, 'network_error', 'The server could not be reached. Check your connection and try again.');
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    const parsed: unknown = text ? safeJson(text) : undefined;
    if (!res.ok) {
      const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
      if (res.status === 401) this.onUnauthorized();
      throw new ApiError(
        res.status,
        error?.code ?? `http_${res.status}`,
        error?.message ?? `The server answered ${res.status}.`,
        error?.details,
      );
    }
    return parsed as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
