/** Builders of flow documents for the unit tests of this folder. */

export interface RawNode {
  id: string;
  type: string;
  config: unknown;
  position: { x: number; y: number };
  label?: string;
}
export interface RawEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
}

/** A node at the origin. */
export function node(id: string, type: string, config: unknown = {}): RawNode {
  return { id, type, config, position: { x: 0, y: 0 } };
}

/** An edge named after its ends. */
export function edge(source: string, sourceHandle: string, target: string, id = `${source}-${sourceHandle}-${target}`): RawEdge {
  return { id, source, sourceHandle, target };
}

/** A document of schema version 1. */
export function doc(nodes: unknown[], edges: unknown[] = []): { schemaVersion: 1; nodes: unknown[]; edges: unknown[] } {
  return { schemaVersion: 1, nodes, edges };
}

/** A message trigger on keywords. */
export function keywordTrigger(id: string, keywords: string[], mode: 'exact' | 'starts_with' | 'contains' = 'exact'): RawNode {
  return node(id, 'message_received', { match: { kind: 'keyword', mode, keywords } });
}

/** "hi" → send a reply: the smallest valid flow. */
export function replyFlow(): ReturnType<typeof doc> {
  return doc(
    [keywordTrigger('t', ['hi']), node('send', 'send_message', { text: 'Hello {{contact.name | "there"}}' })],
    [edge('t', 'out', 'send')],
  );
}
