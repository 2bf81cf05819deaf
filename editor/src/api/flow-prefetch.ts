import type { FlowDetail } from './api-types.ts';

interface Prefetch {
  id: string;
  response: Promise<Response>;
}

declare global {
  interface Window {
    /** Set by editor/static/flow-prefetch.js (loaded first by index.html) when the page opens on a flow's URL. */
    __onemessageFlowPrefetch?: Prefetch;
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
