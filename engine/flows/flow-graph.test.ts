import { describe, expect, it } from 'vitest';
import { doc, edge, keywordTrigger, node } from './flow-document.fixture.ts';
import { compileFlowGraph } from './flow-graph.ts';
import { validateFlow } from './validate-flow.ts';

describe('when the runtime follows a port', () => {
  const result = validateFlow(
    doc(
      [keywordTrigger('t', ['hi']), node('c', 'condition', { rule: true }), node('yes', 'end')],
      [edge('t', 'out', 'c'), edge('c', 'true', 'yes')],
    ),
  );
  if (!result.ok) throw new Error('fixture must be valid');
  const graph = compileFlowGraph(result.flow);

  it('finds the node an edge leads to', () => {
    expect(graph.next('c', 'true')?.id).toBe('yes');
  });

  it('answers undefined for an unconnected port, which ends the run', () => {
    expect(graph.next('c', 'false')).toBeUndefined();
  });

  it('lists the triggers', () => {
    expect(graph.triggers.map((n) => n.id)).toEqual(['t']);
    expect(graph.node('c')?.type).toBe('condition');
  });
});
