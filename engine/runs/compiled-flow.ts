import type { MessageTemplateVersion } from '../templates/message-template.ts';

/** A published flow version prepared for execution: nodes by id and edges by (node, port). */
export interface CompiledFlow {
  versionId: string;
  /** The saved templates the version pinned when it was published, by template id. */
  templates: ReadonlyMap<string, MessageTemplateVersion>;
  nodes: ReadonlyMap<string, { id: string; type: string; config: unknown }>;
  /** `${source}\u0000${sourceHandle}` → target node id. */
  edges: ReadonlyMap<string, string>;
}

interface FlowShape {
  nodes: readonly { id: string; type: string; config: unknown }[];
  edges: readonly { source: string; sourceHandle: string; target: string }[];
}

/** Indexes a validated flow document for the interpreter. */
export function compileFlow(versionId: string, doc: FlowShape, templates: readonly MessageTemplateVersion[] = []): CompiledFlow {
  return {
    versionId,
    templates: new Map(templates.map((t) => [t.templateId, t])),
    nodes: new Map(doc.nodes.map((n) => [n.id, { id: n.id, type: n.type, config: n.config }])),
    edges: new Map(doc.edges.map((e) => [edgeKey(e.source, e.sourceHandle), e.target])),
  };
}

/** The key of an edge leaving `nodeId` by `port`. */
export function edgeKey(nodeId: string, port: string): string {
  return `${nodeId}\u0000${port}`;
}

/** The node an edge from (`nodeId`, `port`) leads to, if any. */
export function nextNode(flow: CompiledFlow, nodeId: string, port: string): string | undefined {
  return flow.edges.get(edgeKey(nodeId, port));
}
