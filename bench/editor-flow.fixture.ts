/** Nodes per row of the generated layout, and the spacing between them in canvas pixels. */
const COLUMNS = 15;
const COLUMN_WIDTH_PX = 260;
const ROW_HEIGHT_PX = 170;

/**
 * A valid flow of `count` nodes, shaped like a big real one: a keyword trigger, then a chain of
 * messages, tags, attribute updates and conditions (whose false branch ends at a message), laid
 * out in rows.
 */
export function buildLargeFlow(count: number): { schemaVersion: 1; nodes: unknown[]; edges: unknown[] } {
  const at = (i: number) => ({ x: (i % COLUMNS) * COLUMN_WIDTH_PX, y: Math.floor(i / COLUMNS) * ROW_HEIGHT_PX });
  const nodes: unknown[] = [
    { id: 'n0', type: 'message_received', position: at(0), config: { match: { kind: 'keyword', keywords: ['price'] } } },
  ];
  const edges: unknown[] = [];
  let previous = { id: 'n0', port: 'out' };
  for (let i = 1; i < count; i++) {
    const id = `n${i}`;
    const kind = i % 4;
    if (kind === 0 && i + 1 < count) {
      nodes.push({ id, type: 'condition', position: at(i), config: { rule: { '==': [{ var: 'contact.attributes.plan' }, 'pro'] } } });
      edges.push({ id: `e${i}`, source: previous.id, sourceHandle: previous.port, target: id });
      // The false branch gets a message of its own, the true branch continues the chain.
      i += 1;
      nodes.push({ id: `n${i}`, type: 'send_message', position: at(i), config: { text: `Not pro (${i})` } });
      edges.push({ id: `e${i}`, source: id, sourceHandle: 'false', target: `n${i}` });
      previous = { id, port: 'true' };
      continue;
    }
    if (kind === 1)
      nodes.push({ id, type: 'send_message', position: at(i), config: { text: `Step ${i}: hello {{contact.name | "there"}}` } });
    else if (kind === 2) nodes.push({ id, type: 'add_tag', position: at(i), config: { tag: `tag-${i}` } });
    else nodes.push({ id, type: 'set_contact_attribute', position: at(i), config: { key: `step_${i}`, value: 'done' } });
    edges.push({ id: `e${i}`, source: previous.id, sourceHandle: previous.port, target: id });
    previous = { id, port: 'out' };
  }
  return { schemaVersion: 1, nodes, edges };
}
