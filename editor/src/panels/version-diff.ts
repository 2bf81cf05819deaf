import type { FlowDocumentJson } from '../api/api-types.ts';
import { canonical } from '../canvas/publish-state.ts';

interface DiffNode {
  id: string;
}

/** What changed between two documents, by node id: added, removed, changed (config, label or type). */
export function diffSummary(
  from: FlowDocumentJson,
  to: FlowDocumentJson,
): { added: number; removed: number; changed: number; edgesChanged: boolean } {
  const key = (n: unknown) => {
    const { position: _p, ...rest } = n as DiffNode & { position?: unknown };
    // Key order is not a change: the server's copy comes back from jsonb with its keys reordered.
    return canonical(rest);
  };
  const before = new Map((from.nodes as DiffNode[]).map((n) => [n.id, key(n)]));
  const after = new Map((to.nodes as DiffNode[]).map((n) => [n.id, key(n)]));
  let added = 0;
  let changed = 0;
  for (const [id, value] of after) {
    if (!before.has(id)) added += 1;
    else if (before.get(id) !== value) changed += 1;
  }
  const removed = [...before.keys()].filter((id) => !after.has(id)).length;
  const edgeSet = (d: FlowDocumentJson) =>
    JSON.stringify(
      (d.edges as { source: string; sourceHandle: string; target: string }[])
        .map((e) => `${e.source}:${e.sourceHandle}>${e.target}`)
        .sort(),
    );
  return { added, removed, changed, edgesChanged: edgeSet(from) !== edgeSet(to) };
}
