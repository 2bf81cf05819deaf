import { createContext, useContext } from 'react';
import type { FlowProblem } from '../../../engine/flows/flow-problem.ts';
import type { NodeStep } from '../panels/run-path.ts';

/**
 * What the canvas draws over the nodes without being part of the document: validation
 * problems, the path of a run and per-node run counts. Kept out of node `data` so that a new
 * validation result does not count as an edit (no autosave, no undo step).
 */
export interface FlowDecorations {
  problemsByNode: ReadonlyMap<string, readonly FlowProblem[]>;
  /** Nodes on the path of the run shown (test chat or run history), in order. */
  pathNodes: ReadonlySet<string>;
  /** The node where the shown run failed or stopped, if any. */
  failedNode: string | null;
  /** How many of the last runs passed each node. */
  runCounts: ReadonlyMap<string, number>;
  /** The shown run's step at each node: its output or error on the node, its input in the tooltip. */
  stepsByNode: ReadonlyMap<string, NodeStep>;
}

export const EMPTY_DECORATIONS: FlowDecorations = {
  problemsByNode: new Map(),
  pathNodes: new Set(),
  failedNode: null,
  runCounts: new Map(),
  stepsByNode: new Map(),
};

export const FlowDecorationsContext = createContext<FlowDecorations>(EMPTY_DECORATIONS);

export function useFlowDecorations(): FlowDecorations {
  return useContext(FlowDecorationsContext);
}
