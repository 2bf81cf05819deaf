import type { RunDetail } from '../api/api-types.ts';
import type { RunPath } from '../pages/flow-editor-page.tsx';

/** The nodes a run went through, in order, the node it failed at, and its last step at each node. */
export function runPathOf(run: RunDetail): RunPath {
  const failed = run.steps.find((s) => s.error !== null && s.error !== undefined);
  const stepsByNode = new Map(run.steps.map((s) => [s.nodeId, { input: s.input, output: s.output, error: s.error, port: s.port }]));
  return { nodeIds: run.steps.map((s) => s.nodeId), failedNodeId: failed?.nodeId ?? (run.status === 'failed' ? run.currentNodeId : null), stepsByNode };
}
