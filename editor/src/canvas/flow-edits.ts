import { findNodeDefinition } from '../../../engine/flows/node-catalog.ts';
import type { Connection } from '@xyflow/react';
import { connectionRefusal } from './connection-rules.ts';
import { newElementId, nodeAriaLabel, TARGET_HANDLE, type EditorEdge, type EditorNode, type FlowNodeData } from './flow-mapping.ts';

/**
 * The editing operations of the canvas as plain functions of the nodes and edges: each takes a
 * snapshot and returns the next one, never changing its input. The page only wires them to
 * React state, so that they are tested without React (flow-edits.test.ts).
 */
export interface Snapshot {
  nodes: EditorNode[];
  edges: EditorEdge[];
}

/** About a node's size plus a gap: closer than this, two nodes overlap. */
export const NODE_SPACING_X_PX = 260;
export const NODE_SPACING_Y_PX = 150;
/** How far a pasted copy lands from its original before looking for free room. */
const PASTE_OFFSET_PX = 40;

/** Whether a node already sits at `spot` (they would overlap). */
function taken(spot: { x: number; y: number }, nodes: readonly EditorNode[], ignore?: ReadonlySet<string>): boolean {
  return nodes.some(
    (n) => !ignore?.has(n.id) && Math.abs(n.position.x - spot.x) < NODE_SPACING_X_PX && Math.abs(n.position.y - spot.y) < NODE_SPACING_Y_PX,
  );
}

/**
 * The free spot nearest `start` where a new node lands without covering another: `start` itself
 * when free, else the first free spot below it (flows read top to bottom), then beside it.
 */
export function freeSpotNear(
  start: { x: number; y: number },
  nodes: readonly EditorNode[],
  ignore?: ReadonlySet<string>,
): { x: number; y: number } {
  if (!taken(start, nodes, ignore)) return start;
  // Rings of growing distance: below first, then to the right, then to the left.
  for (let ring = 1; ring < 200; ring++) {
    const candidates = [
      { x: start.x, y: start.y + ring * NODE_SPACING_Y_PX },
      { x: start.x + ring * NODE_SPACING_X_PX, y: start.y },
      { x: start.x - ring * NODE_SPACING_X_PX, y: start.y },
    ];
    const free = candidates.find((c) => !taken(c, nodes, ignore));
    if (free) return free;
  }
  return { x: start.x, y: Math.max(...nodes.map((n) => n.position.y)) + NODE_SPACING_Y_PX };
}

/** Adds a node of `kind` (its default config) at the free spot nearest `at`, selected alone. */
export function addNode(
  state: Snapshot,
  kind: string,
  at: { x: number; y: number },
  id = newElementId(kind.split('_')[0]!),
): { state: Snapshot; node: EditorNode } | null {
  const definition = findNodeDefinition(kind);
  if (!definition) return null;
  const data: FlowNodeData = { kind, config: structuredClone(definition.defaultConfig) };
  const node: EditorNode = {
    id,
    type: 'flow',
    position: freeSpotNear(at, state.nodes),
    selected: true,
    data,
    ariaLabel: nodeAriaLabel(data),
  };
  return { state: { nodes: [...deselected(state.nodes), node], edges: state.edges }, node };
}

function deselected(nodes: readonly EditorNode[]): EditorNode[] {
  return nodes.map((n) => (n.selected ? { ...n, selected: false } : n));
}

/** Removes a node and every edge into or out of it. */
export function deleteNode(state: Snapshot, id: string): Snapshot {
  return { nodes: state.nodes.filter((n) => n.id !== id), edges: state.edges.filter((e) => e.source !== id && e.target !== id) };
}

/** Replaces a node's data (label and config). */
export function updateNodeData(state: Snapshot, id: string, data: FlowNodeData): Snapshot {
  return { nodes: state.nodes.map((n) => (n.id === id ? { ...n, data, ariaLabel: nodeAriaLabel(data) } : n)), edges: state.edges };
}

/** Draws a connection, or says why not (the engine's own edge rules). */
export function connect(state: Snapshot, c: Connection, id = newElementId('e')): { state: Snapshot } | { refused: string } {
  const refused = connectionRefusal(c, state.nodes, state.edges);
  if (refused) return { refused };
  return {
    state: {
      nodes: state.nodes,
      edges: [...state.edges, { id, source: c.source, sourceHandle: c.sourceHandle, target: c.target, targetHandle: TARGET_HANDLE }],
    },
  };
}

/** Points a node's output port at `target`, replacing its edge, or removes the edge when null (the node panel's pickers). */
export function setPortTarget(state: Snapshot, source: string, port: string, target: string | null, id = newElementId('e')): Snapshot {
  return {
    nodes: state.nodes,
    edges: [
      ...state.edges.filter((e) => !(e.source === source && e.sourceHandle === port)),
      ...(target ? [{ id, source, sourceHandle: port, target, targetHandle: TARGET_HANDLE }] : []),
    ],
  };
}

/** The selected nodes and the edges between them, as a copy; null when nothing is selected. */
export function copySelection(state: Snapshot): Snapshot | null {
  const selected = state.nodes.filter((n) => n.selected);
  if (selected.length === 0) return null;
  const ids = new Set(selected.map((n) => n.id));
  return structuredClone({ nodes: selected, edges: state.edges.filter((e) => ids.has(e.source) && ids.has(e.target)) });
}

/**
 * Pastes a copy with fresh ids, a step away from the original and moved to free room when that
 * spot is taken, selected alone. Answers the new state and what the next paste copies (this
 * paste, so that it lands a step further).
 */
export function paste(
  state: Snapshot,
  clipboard: Snapshot,
  newId: (prefix: string) => string = newElementId,
): { state: Snapshot; clipboard: Snapshot } {
  const idMap = new Map(clipboard.nodes.map((n) => [n.id, newId(n.data.kind.split('_')[0]!)]));
  const shifted = clipboard.nodes.map((n) => ({ x: n.position.x + PASTE_OFFSET_PX, y: n.position.y + PASTE_OFFSET_PX }));
  // The whole copy moves by one offset, so that it keeps its shape.
  const anchor = shifted[0] ?? { x: 0, y: 0 };
  const free = freeSpotNear(anchor, state.nodes);
  const dx = free.x - anchor.x;
  const dy = free.y - anchor.y;
  const nodes = clipboard.nodes.map((n, i): EditorNode => ({
    ...structuredClone(n),
    id: idMap.get(n.id)!,
    selected: true,
    position: { x: shifted[i]!.x + dx, y: shifted[i]!.y + dy },
  }));
  const edges = clipboard.edges.map((e): EditorEdge => ({
    ...e,
    id: newId('e'),
    source: idMap.get(e.source)!,
    target: idMap.get(e.target)!,
    selected: false,
  }));
  return { state: { nodes: [...deselected(state.nodes), ...nodes], edges: [...state.edges, ...edges] }, clipboard: { nodes, edges } };
}

/** What people call a node: its name on the canvas, else its kind's label. Never its id. */
export function labelOf(node: Pick<EditorNode, 'data'>): string {
  return node.data.label?.trim() || findNodeDefinition(node.data.kind)?.label || node.data.kind;
}

/**
 * Every node's name for lists and pickers: its label, numbered when two nodes share one
 * ("Send message", "Send message 2"), so that a choice is never ambiguous and never an id.
 */
export function nodeNames(nodes: readonly Pick<EditorNode, 'id' | 'data'>[]): Map<string, string> {
  const seen = new Map<string, number>();
  const names = new Map<string, string>();
  for (const node of nodes) {
    const label = labelOf(node);
    const count = (seen.get(label) ?? 0) + 1;
    seen.set(label, count);
    names.set(node.id, count === 1 ? label : `${label} ${count}`);
  }
  return names;
}

/** The nodes an output may lead to, by name: every node but this one and the triggers. */
export function connectionTargets(nodes: readonly EditorNode[], from: string): { id: string; label: string }[] {
  const names = nodeNames(nodes);
  return nodes
    .filter((n) => n.id !== from && findNodeDefinition(n.data.kind)?.category !== 'trigger')
    .map((n) => ({ id: n.id, label: names.get(n.id)! }));
}
