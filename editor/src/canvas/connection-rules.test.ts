import { describe, expect, it } from 'vitest';
import { connectionRefusal } from './connection-rules.ts';
import { toCanvas, toDocument, type EditorEdge } from './flow-mapping.ts';

const doc = {
  schemaVersion: 1 as const,
  nodes: [
    { id: 't', type: 'message_received', position: { x: 0, y: 0 }, config: { match: { kind: 'keyword', keywords: ['hi'] } } },
    {
      id: 'c',
      type: 'condition',
      label: 'Is pro?',
      position: { x: 0, y: 100.4 },
      config: { rule: { '==': [{ var: 'contact.attributes.plan' }, 'pro'] } },
    },
    { id: 'm', type: 'send_message', position: { x: 0, y: 200 }, config: { text: 'hello' } },
  ],
  edges: [{ id: 'e1', source: 't', sourceHandle: 'out', target: 'c' }],
};

describe('connection rules while dragging', () => {
  const { nodes, edges } = toCanvas(doc);
  const connect = (source: string, sourceHandle: string, target: string, existing: EditorEdge[] = edges) =>
    connectionRefusal({ source, sourceHandle, target, targetHandle: 'in' }, nodes, existing);

  it('allows an output that exists and is free, to a node that is not a trigger', () => {
    expect(connect('c', 'true', 'm')).toBeNull();
  });

  it('refuses a connection into a trigger', () => {
    expect(connect('m', 'out', 't')).toMatch(/trigger/);
  });

  it('refuses a second connection from the same output', () => {
    expect(connect('t', 'out', 'm')).toMatch(/already connected/);
  });

  it('refuses an output the node does not have for its config', () => {
    expect(connect('c', 'maybe', 'm')).toMatch(/does not exist/);
  });

  it('refuses a node connected to itself', () => {
    expect(connect('m', 'out', 'm')).toMatch(/itself/);
  });
});

describe('the canvas and the document', () => {
  it('round-trips a document, keeping labels and rounding positions', () => {
    const { nodes, edges } = toCanvas(doc);
    const back = toDocument(nodes, edges);
    expect(back.edges).toEqual(doc.edges);
    expect(back.nodes[1]).toEqual({ ...doc.nodes[1], position: { x: 0, y: 100 } });
  });

  it('keeps node data plain JSON (no functions), so snapshots and copies are structured clones', () => {
    const { nodes } = toCanvas(doc);
    expect(structuredClone(nodes.map((n) => n.data))).toEqual(nodes.map((n) => n.data));
  });
});
