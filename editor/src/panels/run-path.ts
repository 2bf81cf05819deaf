import type { RunDetail } from '../api/api-types.ts';

/** A run's path drawn on the canvas: node ids in order, and where it failed. */
export interface RunPath {
  nodeIds: readonly string[];
  failedNodeId: string | null;
  /** What the run did at each node it went through (the last step there), drawn on that node. */
  stepsByNode: ReadonlyMap<string, NodeStep>;
}

/** One step of a run as the canvas shows it on its node. */
export interface NodeStep {
  input: unknown;
  output: unknown;
  error: unknown;
  port: string | null;
}

/** The nodes a run went through, in order, the node it failed at, and its last step at each node. */
export function runPathOf(run: RunDetail): RunPath {
  const failed = run.steps.find((s) => s.error !== null && s.error !== undefined);
  const stepsByNode = new Map(run.steps.map((s) => [s.nodeId, { input: s.input, output: s.output, error: s.error, port: s.port }]));
  return {
    nodeIds: run.steps.map((s) => s.nodeId),
    failedNodeId: failed?.nodeId ?? (run.status === 'failed' ? run.currentNodeId : null),
    stepsByNode,
  };
}
