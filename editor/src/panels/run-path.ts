import type { RunDetail } from '../api/api-types.ts';
import type { RunPath } from '../pages/flow-editor-page.tsx';

/** The nodes a run went through, in order, and the node it failed at. */
export function runPathOf(run: RunDetail): RunPath {
  const failed = run.steps.find((s) => s.error !== null && s.error !== undefined);
  return { nodeIds: run.steps.map((s) => s.nodeId), failedNodeId: failed?.nodeId ?? (run.status === 'failed' ? run.currentNodeId : null) };
}
