import { readFile } from 'node:fs/promises';

/*
 * `tsx bench/support/heap-diff.ts <before.heapsnapshot> <after.heapsnapshot>`: what grew between
 * two heap snapshots of one process (the soak's --heap-snapshot-dir writes them after a full GC,
 * so they hold live objects only). Prints the total live heap of each and the 25 constructors
 * (node type and name) whose retained count and self size grew most. A leak shows as a
 * constructor growing with the minutes; a steady state as totals within a few MB.
 */

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

async function byConstructor(file: string): Promise<{ total: number; groups: Map<string, { count: number; size: number }> }> {
  const snap = JSON.parse(await readFile(file, 'utf8')) as HeapSnapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const groups = new Map<string, { count: number; size: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const name =
      type === 'string' || type === 'concatenated string' || type === 'sliced string' ? '' : snap.strings[snap.nodes[i + nameAt]!]!;
    const key = `${type}:${name.slice(0, 80)}`;
    const size = snap.nodes[i + sizeAt]!;
    total += size;
    const g = groups.get(key) ?? { count: 0, size: 0 };
    g.count++;
    g.size += size;
    groups.set(key, g);
  }
  return { total, groups };
}

const [beforeFile, afterFile] = process.argv.slice(2);
if (!beforeFile || !afterFile) throw new Error('usage: tsx bench/support/heap-diff.ts <before.heapsnapshot> <after.heapsnapshot>');
const before = await byConstructor(beforeFile);
const after = await byConstructor(afterFile);
const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
const growth = [...after.groups].map(([key, a]) => {
  const b = before.groups.get(key) ?? { count: 0, size: 0 };
  return { key, count: a.count - b.count, mb: mb(a.size - b.size) };
});
growth.sort((x, y) => y.mb - x.mb || y.count - x.count);
console.log(JSON.stringify({ beforeMb: mb(before.total), afterMb: mb(after.total), grewMb: mb(after.total - before.total) }));
for (const g of growth.slice(0, 25)) console.log(`${String(g.mb).padStart(8)} MB ${String(g.count).padStart(9)}  ${g.key}`);
