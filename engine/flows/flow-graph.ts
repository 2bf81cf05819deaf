import type { Flow, FlowNode } from './flow.schema.ts';
import { findNodeDefinition } from './node-catalog.ts';

/** A validated flow indexed for execution: nodes by id and the next node of each port. */
export interface FlowGraph {
  readonly flow: Flow;
  /** The node with this id, or undefined. */
  node(id: string): FlowNode | undefined;
  /** The node an output port leads to, or undefined when the port is not connected (the run ends). */
  next(nodeId: string, port: string): FlowNode | undefined;
  /** The trigger nodes, in document order. */
  readonly triggers: readonly FlowNode[];
}

/** Indexes a flow that passed `validateFlow` (each port has at most one edge). */
export function compileFlowGraph(flow: Flow): FlowGraph {
  const byId = new Map(flow.nodes.map((n) => [n.id, n]));
  const nextByPort = new Map<string, FlowNode>();
  for (const edge of flow.edges) {
    const target = byId.get(edge.target);
    if (target) nextByPort.set(`${edge.source}\u0000${edge.sourceHandle}`, target);
  }
  const triggers = flow.nodes.filter((n) => findNodeDefinition(n.type)?.category === 'trigger');
  return {
    flow,
    node: (id) => byId.get(id),
    next: (nodeId, port) => nextByPort.get(`${nodeId}\u0000${port}`),
    triggers,
  };
}
