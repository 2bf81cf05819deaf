import { SecretMissingError } from '../../errors/secret-missing.error.ts';
import type { HttpRequestConfig } from '../../flows/nodes/http-request.node.ts';
import { parseTemplate, renderTemplateText, secretNamesOf, type RenderOptions, type TemplateContext } from '../../flows/template.ts';
import { flowData } from '../flow-data.ts';
import type { NodeExecutor } from '../node-executor.ts';
import { scrubSecrets } from '../secret-scrub.ts';

/** Every string inside a JSON value. */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

/** The secrets a config names, once each (validation has parsed every template at publish). */
export function secretNamesIn(config: HttpRequestConfig): string[] {
  const names = new Set<string>();
  for (const source of [config.url, ...config.headers.map((h) => h.value), ...stringsOf(config.body)]) {
    const parsed = parseTemplate(source, { allowSecrets: true });
    if (parsed.ok) for (const name of secretNamesOf(parsed.template)) names.add(name);
  }
  return [...names];
}

/** Renders every string inside a JSON body as a template. */
function renderJson(value: unknown, data: TemplateContext, options: RenderOptions): unknown {
  if (typeof value === 'string') return renderTemplateText(value, data, options);
  if (Array.isArray(value)) return value.map((v) => renderJson(v, data, options));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJson(v, data, options)]));
  return value;
}

/**
 * Calls an HTTP endpoint through the runtime's guarded client; the response goes into a run
 * variable. A 2xx or 3xx answer takes `success`; another status or a refused/failed call takes
 * `error`. The call may repeat if a worker dies before the step commits (at least once).
 *
 * Secrets named in the URL, headers and body are read here, for this step only, and exist only
 * in the request sent. What the step keeps (its output, the response in the run variable, an
 * error) has every resolved value replaced by `[secret NAME]`, so a server echoing the token
 * back cannot put it in the run history or in a later message. A secret that no longer exists
 * fails the step (`secret_missing`) instead of sending the request without it.
 */
export const httpRequestExecutor: NodeExecutor<HttpRequestConfig> = async (config, ctx) => {
  const names = secretNamesIn(config);
  const secrets = names.length === 0 ? new Map<string, string>() : await ctx.secrets.resolve(names);
  const missing = names.find((name) => !secrets.has(name));
  if (missing !== undefined) throw new SecretMissingError(missing);
  const data = flowData(ctx.facts, ctx.state);
  const url = renderTemplateText(config.url, data, { encode: encodeURIComponent, secrets });
  const headers = Object.fromEntries(config.headers.map((h) => [h.name, renderTemplateText(h.value, data, { secrets })]));
  const body = config.body === undefined ? undefined : renderJson(config.body, data, { secrets });
  const keep = <T>(value: T): T => scrubSecrets(value, secrets);
  try {
    // A redirect keeps custom headers and (on 307/308) the body: with secrets in them, it must not leave the origin.
    const sameOrigin = names.length > 0 ? { sameOriginRedirectsOnly: true } : {};
    const res = await ctx.http.request({
      method: config.method,
      url,
      headers,
      ...(body === undefined ? {} : { body }),
      timeoutMs: config.timeoutMs,
      ...sameOrigin,
    });
    const result = keep({ status: res.status, headers: res.headers, body: res.body });
    return {
      port: res.status < 400 ? 'success' : 'error',
      state: { ...ctx.state, vars: { ...ctx.state.vars, [config.resultVariable]: result } },
      output: keep({ url, status: res.status }),
    };
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    const error = keep({
      code: typeof e.code === 'string' ? e.code : 'http_failed',
      message: typeof e.message === 'string' ? e.message : String(err),
    });
    return {
      port: 'error',
      state: { ...ctx.state, vars: { ...ctx.state.vars, [config.resultVariable]: { error } } },
      output: keep({ url, error }),
    };
  }
};
