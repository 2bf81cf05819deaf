/** A tiny HTTP client for tests: JSON in, status + parsed JSON out. */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  as(token: string): ApiClient {
    return new ApiClient(this.baseUrl, token);
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    init: { rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...init.headers };
    let payload: string | undefined = init.rawBody;
    if (body !== undefined && payload === undefined) payload = JSON.stringify(body);
    if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(this.baseUrl + path, { method: method.toUpperCase(), headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (for example the metrics text); keep the text.
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = any>(path: string) {
    return this.request<T>('get', path);
  }
  post<T = any>(path: string, body?: unknown) {
    return this.request<T>('post', path, body);
  }
  patch<T = any>(path: string, body?: unknown) {
    return this.request<T>('patch', path, body);
  }
  put<T = any>(path: string, body?: unknown) {
    return this.request<T>('put', path, body);
  }
  delete<T = any>(path: string) {
    return this.request<T>('delete', path);
  }
}
