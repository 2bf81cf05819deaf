import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const EXAMPLES_DIR = new URL('../examples/flows/', import.meta.url);
/** About a node's height on the canvas plus a gap. */
const MIN_STEP_DOWN_PX = 120;

describe('the example flows (templates, and the demo flow seeded from keyword-auto-reply.json)', () => {
  it.each(readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json')))(
    '%s reads top to bottom: every connection leads down to a node below',
    (file) => {
      const { document } = JSON.parse(readFileSync(new URL(file, EXAMPLES_DIR), 'utf8')) as {
        document: { nodes: { id: string; position: { x: number; y: number } }[]; edges: { source: string; target: string }[] };
      };
      const at = new Map(document.nodes.map((n) => [n.id, n.position]));
      for (const edge of document.edges)
        expect(at.get(edge.target)!.y - at.get(edge.source)!.y, `${edge.source} → ${edge.target}`).toBeGreaterThanOrEqual(MIN_STEP_DOWN_PX);
    },
  );
});
