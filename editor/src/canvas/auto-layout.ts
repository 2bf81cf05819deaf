import dagre from '@dagrejs/dagre';
import type { EditorEdge, EditorNode } from './flow-mapping.ts';

/** Used for nodes not measured yet (never rendered): about the size of a node with a summary line. */
const DEFAULT_NODE_WIDTH_PX = 220;
const DEFAULT_NODE_HEIGHT_PX = 90;

/** The nodes moved to a top-to-bottom layered layout (dagre); edges are unchanged. */
export function autoLayout(nodes: readonly EditorNode[], edges: readonly EditorEdge[]): EditorNode[] {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'TB', nodesep: 40, ranksep: 70 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes)
    graph.setNode(node.id, {
      width: node.measured?.width ?? DEFAULT_NODE_WIDTH_PX,
      height: node.measured?.height ?? DEFAULT_NODE_HEIGHT_PX,
    });
  for (const edge of edges) graph.setEdge(edge.source, edge.target);
  dagre.layout(graph);
  return nodes.map((node) => {
    const placed = graph.node(node.id);
    // dagre gives centres; React Flow positions are top-left corners.
    return placed ? { ...node, position: { x: placed.x - placed.width / 2, y: placed.y - placed.height / 2 } } : node;
  });
}
