import { describe, expect, it } from 'vitest';
import { doc, node, replyFlow } from './flow-document.fixture.ts';
import { FlowSchema } from './flow.schema.ts';
import { validateFlow } from './validate-flow.ts';

describe('when the editor parses a document with the shared schema', () => {
  it('gives the same parsed flow as validateFlow for a valid document', () => {
    const parsed = FlowSchema.parse(replyFlow());
    const validated = validateFlow(replyFlow());
    expect(validated.ok && validated.flow).toEqual(parsed);
  });

  it('discriminates nodes on type and checks each config with its own schema', () => {
    expect(FlowSchema.safeParse(doc([node('a', 'add_tag', { tag: 'vip' })])).success).toBe(true);
    expect(FlowSchema.safeParse(doc([node('a', 'add_tag', { key: 'vip' })])).success).toBe(false);
    expect(FlowSchema.safeParse(doc([node('a', 'teleport', {})])).success).toBe(false);
  });

  it('narrows the config type from the node type', () => {
    const flow = FlowSchema.parse(doc([node('a', 'add_tag', { tag: 'vip' })]));
    const first = flow.nodes[0];
    // A compile-time check as much as a run-time one: `config.tag` exists only on tag nodes.
    expect(first?.type === 'add_tag' ? first.config.tag : undefined).toBe('vip');
  });
});
