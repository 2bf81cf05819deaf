import { describe, expect, it } from 'vitest';
import { EditHistory } from './edit-history.ts';
import {
  addNode,
  connect,
  connectionTargets,
  copySelection,
  deleteNode,
  NODE_SPACING_Y_PX,
  nodeNames,
  paste,
  setPortTarget,
  updateNodeData,
  type Snapshot,
} from './flow-edits.ts';
import { toCanvas, toDocument } from './flow-mapping.ts';
import { hasUnpublishedChanges } from './publish-state.ts';
import { validateFlow } from '../../../engine/flows/validate-flow.ts';

const DOC = {
  schemaVersion: 1 as const,
  nodes: [
    {
      id: 't',
      type: 'message_received',
      label: 'Says hi',
      position: { x: 0, y: 0 },
      config: { match: { kind: 'keyword', keywords: ['hi'] } },
    },
    { id: 'm', type: 'send_message', position: { x: 0, y: 200 }, config: { text: 'hello' } },
    { id: 'm2', type: 'send_message', position: { x: 400, y: 200 }, config: { text: 'bye' } },
  ],
  edges: [{ id: 'e1', source: 't', sourceHandle: 'out', target: 'm' }],
};
const start = (): Snapshot => toCanvas(DOC);
const overlaps = (s: Snapshot) =>
  s.nodes.some((a, i) =>
    s.nodes.some((b, j) => i < j && Math.abs(a.position.x - b.position.x) < 200 && Math.abs(a.position.y - b.position.y) < 100),
  );

describe('adding a node', () => {
  it('lands where it was dropped when the spot is free, selected alone', () => {
    const added = addNode(start(), 'end', { x: 0, y: 600 }, 'end_1')!;
    expect(added.node.position).toEqual({ x: 0, y: 600 });
    expect(added.state.nodes.filter((n) => n.selected).map((n) => n.id)).toEqual(['end_1']);
  });

  it('never lands on top of another node: dropped on one, it moves below it', () => {
    const added = addNode(start(), 'end', { x: 10, y: 210 }, 'end_1')!;
    expect(added.node.position).toEqual({ x: 10, y: 210 + NODE_SPACING_Y_PX });
    expect(overlaps(added.state)).toBe(false);
  });

  it('ten nodes added at the same point never overlap', () => {
    let state = start();
    for (let i = 0; i < 10; i++) state = addNode(state, 'end', { x: 0, y: 0 }, `end_${i}`)!.state;
    expect(state.nodes).toHaveLength(13);
    expect(overlaps(state)).toBe(false);
  });

  it('refuses an unknown kind', () => {
    expect(addNode(start(), 'teleport', { x: 0, y: 0 })).toBeNull();
  });
});

describe('connecting and deleting', () => {
  it('connects a free output and refuses a taken one, in words', () => {
    const ok = connect(start(), { source: 'm', sourceHandle: 'out', target: 'm2', targetHandle: 'in' }, 'e2');
    expect('state' in ok && ok.state.edges.map((e) => e.id)).toEqual(['e1', 'e2']);
    const refused = connect(start(), { source: 't', sourceHandle: 'out', target: 'm2', targetHandle: 'in' });
    expect(refused).toEqual({ refused: 'this output is already connected: one connection per output' });
  });

  it('points a port at another node from the picker, replacing its edge, and unplugs it with null', () => {
    const moved = setPortTarget(start(), 't', 'out', 'm2', 'e9');
    expect(moved.edges).toEqual([{ id: 'e9', source: 't', sourceHandle: 'out', target: 'm2', targetHandle: 'in' }]);
    expect(setPortTarget(moved, 't', 'out', null).edges).toEqual([]);
  });

  it('deletes a node with its edges', () => {
    const state = deleteNode(start(), 'm');
    expect(state.nodes.map((n) => n.id)).toEqual(['t', 'm2']);
    expect(state.edges).toEqual([]);
  });

  it('changes a node without changing the snapshot it came from', () => {
    const before = start();
    const after = updateNodeData(before, 'm', { kind: 'send_message', label: 'Greet', config: { text: 'hey' } });
    expect(after.nodes[1]!.ariaLabel).toBe('Greet (Send message)');
    expect(before.nodes[1]!.data.config).toEqual({ text: 'hello' });
  });
});

describe('copy and paste', () => {
  it('pastes the selection with new ids beside the original, never on top of a node, and the next paste further on', () => {
    const state = start();
    state.nodes = state.nodes.map((n) => ({ ...n, selected: n.id === 'm' }));
    const clip = copySelection(state)!;
    let n = 0;
    const first = paste(state, clip, (p) => `${p}_${++n}`);
    expect(first.state.nodes.map((x) => x.id)).toEqual(['t', 'm', 'm2', 'send_1']);
    expect(overlaps(first.state)).toBe(false);
    const second = paste(first.state, first.clipboard, (p) => `${p}_${++n}`);
    expect(overlaps(second.state)).toBe(false);
    expect(copySelection({ nodes: state.nodes.map((x) => ({ ...x, selected: false })), edges: [] })).toBeNull();
  });
});

describe('undo and redo over edits', () => {
  it('steps back and forth through snapshots, and a new edit clears the redo', () => {
    const s0 = start();
    const history = new EditHistory<Snapshot>(s0);
    const s1 = deleteNode(s0, 'm2');
    history.record(s1);
    const s2 = addNode(s1, 'end', { x: 0, y: 400 }, 'end_1')!.state;
    history.record(s2);
    expect(history.undo()).toBe(s1);
    expect(history.undo()).toBe(s0);
    expect(history.canUndo).toBe(false);
    expect(history.redo()).toBe(s1);
    history.record(deleteNode(s1, 'm'));
    expect(history.canRedo).toBe(false);
  });
});

describe('names in pickers and lists', () => {
  it('uses labels, numbers duplicates, and never shows ids', () => {
    const names = nodeNames(start().nodes);
    expect([...names.values()]).toEqual(['Says hi', 'Send message', 'Send message 2']);
    expect(connectionTargets(start().nodes, 'm').map((t) => t.label)).toEqual(['Send message 2']);
  });
});

describe('unpublished changes', () => {
  const published = (() => {
    const r = validateFlow({ ...DOC, nodes: DOC.nodes.slice(0, 2) });
    if (!r.ok) throw new Error('fixture');
    return r.flow;
  })();
  const draft = { ...DOC, nodes: DOC.nodes.slice(0, 2) };

  it('is false when the draft is the published version (defaults filled in or not)', () => {
    expect(hasUnpublishedChanges(draft, published)).toBe(false);
    expect(hasUnpublishedChanges(toDocument(toCanvas(draft).nodes, toCanvas(draft).edges), published)).toBe(false);
  });

  it('is true after any edit, a moved node included, and for a flow never published', () => {
    const canvas = toCanvas(draft);
    const edited = updateNodeData(canvas, 'm', { kind: 'send_message', config: { text: 'hello!' } });
    expect(hasUnpublishedChanges(toDocument(edited.nodes, edited.edges), published)).toBe(true);
    const moved = { ...draft, nodes: [draft.nodes[0], { ...draft.nodes[1]!, position: { x: 5, y: 200 } }] };
    expect(hasUnpublishedChanges(moved, published)).toBe(true);
    expect(hasUnpublishedChanges(draft, null)).toBe(true);
    expect(hasUnpublishedChanges({ schemaVersion: 1, nodes: [], edges: [] }, null)).toBe(false);
  });
});
