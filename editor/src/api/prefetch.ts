import type { FlowDetail, MeAnswer } from './api-types.ts';

interface Prefetch {
  id: string;
  response: Promise<Response>;
}

declare global {
  interface Window {
    /** Set by editor/static/prefetch.js (loaded first by index.html) when the page opens on a flow's URL. */
    __onemessageFlowPrefetch?: Prefetch;
    /** Set by editor/static/prefetch.js on every page: GET /auth/me, started before the app's code. */
    __onemessageSessionPrefetch?: Promise<Response>;
  }
}

/**
 * The flow that index.html started loading before the app's code ran, if it is this one and it
 * answered 200; taken once. Anything else (another flow, an error) returns null and the caller
 * loads the flow through the API client as usual, with its error handling.
 */
export async function takePrefetchedFlow(flowId: string): Promise<FlowDetail | null> {
  const prefetch = window.__onemessageFlowPrefetch;
  delete window.__onemessageFlowPrefetch;
  if (!prefetch || prefetch.id !== flowId) return null;
  try {
    const res = await prefetch.response;
    return res.ok ? ((await res.json()) as FlowDetail) : null;
  } catch {
    return null;
  }
}

/**
 * The answer of GET /auth/me that index.html started, taken once: the caller when logged in,
 * `'signed-out'` when the server answered 401, null when there was none or it failed otherwise
 * (the caller then asks through the API client).
 */
export async function takePrefetchedSession(): Promise<MeAnswer | 'signed-out' | null> {
  const prefetch = window.__onemessageSessionPrefetch;
  delete window.__onemessageSessionPrefetch;
  if (!prefetch) return null;
  try {
    const res = await prefetch;
    if (res.status === 401) return 'signed-out';
    return res.ok ? ((await res.json()) as MeAnswer) : null;
  } catch {
    return null;
  }
}
