import type { HttpRequestConfig } from '../../flows/nodes/http-request.node.ts';
import { renderTemplateText, type TemplateContext } from '../../flows/template.ts';
import { flowData } from '../flow-data.ts';
import type { NodeExecutor } from '../node-executor.ts';

/** Renders every string inside a JSON body as a template. */
function renderJson(value: unknown, data: TemplateContext): unknown {
  if (typeof value === 'string') return renderTemplateText(value, data);
  if (Array.isArray(value)) return value.map((v) => renderJson(v, data));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJson(v, data)]));
  return value;
}

/**
 * Calls an HTTP endpoint through the runtime's guarded client; the response goes into a run
 * variable. A 2xx or 3xx answer takes `success`; another status or a refused/failed call takes
 * `error`. The call may repeat if a worker dies before the step commits (at least once).
 */
export const httpRequestExecutor: NodeExecutor<HttpRequestConfig> = async (config, ctx) => {
  const data = flowData(ctx.facts, ctx.state);
  const url = renderTemplateText(config.url, data, { encode: encodeURIComponent });
  const headers = Object.fromEntries(config.headers.map((h) => [h.name, renderTemplateText(h.value, data)]));
  const body = config.body === undefined ? undefined : renderJson(config.body, data);
  try {
    const res = await ctx.http.request({ method: config.method, url, headers, ...(body === undefined ? {} : { body }), timeoutMs: config.timeoutMs });
    const result = { status: res.status, headers: res.headers, body: res.body };
    return { port: res.status < 400 ? 'success' : 'error', state: { ...ctx.state, vars: { ...ctx.state.vars, [config.resultVariable]: result } }, output: { url, status: res.status } };
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    const error = { code: typeof e.code === 'string' ? e.code : 'http_failed', message: typeof e.message === 'string' ? e.message : String(err) };
    return { port: 'error', state: { ...ctx.state, vars: { ...ctx.state.vars, [config.resultVariable]: { error } } }, output: { url, error } };
  }
};
