import type { Connection, Edge } from '@xyflow/react';
import { findNodeDefinition } from '../../../engine/flows/node-catalog.ts';
import { portsOf, type EditorNode } from './flow-mapping.ts';

/**
 * Why a connection may not be drawn, or null when it may. The same rules as the engine's
 * `edge_wrong_port` and `edge_port_taken` checks, applied while dragging so that the user is
 * refused on the spot instead of reading a validation problem afterwards.
 */
export function connectionRefusal(connection: Connection | Edge, nodes: readonly EditorNode[], edges: readonly Edge[]): string | null {
  const source = nodes.find((n) => n.id === connection.source);
  const target = nodes.find((n) => n.id === connection.target);
  if (!source || !target) return 'both ends must be nodes';
  if (source.id === target.id) return 'a node cannot connect to itself';
  if (findNodeDefinition(target.data.kind)?.category === 'trigger') return 'a trigger starts a flow and takes no incoming connection';
  if (!portsOf(source.data.kind, source.data.config).some((p) => p.id === connection.sourceHandle))
    return 'this output does not exist on the node';
  if (edges.some((e) => e.source === connection.source && e.sourceHandle === connection.sourceHandle))
    return 'this output is already connected: one connection per output';
  return null;
}
