import type { Edge, Node } from '@xyflow/react';
import { FLOW_SCHEMA_VERSION } from '../../../engine/flows/flow.schema.ts';
import { findNodeDefinition } from '../../../engine/flows/node-catalog.ts';
import type { OutputPort } from '../../../engine/flows/node-definition.ts';
import type { FlowDocumentJson } from '../api/api-types.ts';

/**
 * What a canvas node carries: exactly the document node's fields, nothing else. It stays plain
 * JSON (no callbacks), so that history snapshots, copy/paste and saving are structured clones.
 */
export interface FlowNodeData extends Record<string, unknown> {
  kind: string;
  label?: string;
  config: unknown;
}
export type EditorNode = Node<FlowNodeData, 'flow'>;
export type EditorEdge = Edge;

/** The handle every non-trigger node takes its incoming edges on. */
export const TARGET_HANDLE = 'in';

interface DocNode {
  id: string;
  type: string;
  label?: string;
  position?: { x: number; y: number };
  config?: unknown;
}
interface DocEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
}

/** The canvas nodes and edges of a flow document (as saved: possibly unfinished). */
export function toCanvas(doc: FlowDocumentJson): { nodes: EditorNode[]; edges: EditorEdge[] } {
  const nodes = (doc.nodes as DocNode[]).map((n): EditorNode => {
    const data: FlowNodeData =
      n.label === undefined ? { kind: n.type, config: n.config } : { kind: n.type, label: n.label, config: n.config };
    return { id: n.id, type: 'flow', position: { x: n.position?.x ?? 0, y: n.position?.y ?? 0 }, data, ariaLabel: nodeAriaLabel(data) };
  });
  const edges = (doc.edges as DocEdge[]).map((e): EditorEdge => ({
    id: e.id,
    source: e.source,
    sourceHandle: e.sourceHandle,
    target: e.target,
    targetHandle: TARGET_HANDLE,
  }));
  return { nodes, edges };
}

/** What a screen reader announces for a node: its name and, when renamed, its kind. */
export function nodeAriaLabel(data: FlowNodeData): string {
  const kind = findNodeDefinition(data.kind)?.label ?? data.kind;
  return data.label && data.label !== kind ? `${data.label} (${kind})` : kind;
}

/** The flow document of the canvas, as the API saves it and `validateFlow` checks it. */
export function toDocument(nodes: readonly EditorNode[], edges: readonly EditorEdge[]): FlowDocumentJson {
  return {
    schemaVersion: FLOW_SCHEMA_VERSION,
    nodes: nodes.map((n) => ({
      id: n.id,
      type: n.data.kind,
      ...(n.data.label ? { label: n.data.label } : {}),
      // Rounded: sub-pixel drag positions are noise in saved documents and diffs.
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
      config: n.data.config,
    })),
    edges: edges.map((e) => ({ id: e.id, source: e.source, sourceHandle: e.sourceHandle ?? '', target: e.target })),
  };
}

/**
 * The output ports of a node as its current config defines them. A config that does not parse
 * yet has the ports of its kind's default config, so that the user can keep drawing while a
 * field is being fixed (validation reports the config meanwhile).
 */
export function portsOf(kind: string, config: unknown): readonly OutputPort[] {
  // Configs are replaced, never mutated, so the ports of a config object never change: a node
  // re-rendered while dragging or measuring reuses them instead of parsing its config again.
  if (typeof config === 'object' && config !== null) {
    const cached = PORTS_BY_CONFIG.get(config);
    if (cached?.kind === kind) return cached.ports;
    const ports = computePorts(kind, config);
    PORTS_BY_CONFIG.set(config, { kind, ports });
    return ports;
  }
  return computePorts(kind, config);
}

const PORTS_BY_CONFIG = new WeakMap<object, { kind: string; ports: readonly OutputPort[] }>();

function computePorts(kind: string, config: unknown): readonly OutputPort[] {
  const definition = findNodeDefinition(kind);
  if (!definition) return [];
  // Most kinds have the same ports whatever their config (`outputs: () => [NEXT_PORT]`, a function
  // of no parameter): no parse. Parsing the config of every node with zod was most of the time a
  // 300-node canvas spent rendering its nodes on load (npm run bench -- editor).
  if (definition.outputs.length === 0) return definition.outputs(undefined as never);
  const parsed = definition.configSchema.safeParse(config);
  if (parsed.success) return definition.outputs(parsed.data);
  const fallback = definition.configSchema.safeParse(definition.defaultConfig);
  return fallback.success ? definition.outputs(fallback.data) : [];
}

/** A fresh id for a node or an edge: short, and within the schema's `[A-Za-z0-9_-]{1,64}`. */
export function newElementId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
