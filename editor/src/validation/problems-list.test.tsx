// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { validateFlow } from '../../../engine/flows/validate-flow.ts';
import { ProblemsList, problemsByNode } from './problems-list.tsx';

/** A trigger and a message nobody connected: the engine reports the message as unreachable. */
const UNCONNECTED = {
  schemaVersion: 1,
  nodes: [
    { id: 't', type: 'message_received', position: { x: 0, y: 0 }, config: { match: { kind: 'keyword', keywords: ['hi'] } } },
    { id: 'reply', type: 'send_message', label: 'Greeting', position: { x: 0, y: 100 }, config: { text: '' } },
  ],
  edges: [],
};

function problemsOf(doc: unknown) {
  const result = validateFlow(doc);
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

afterEach(cleanup);

describe('the validation display', () => {
  it('lists the engine problems with the name of their node, and jumps to the node on click', () => {
    const onJump = vi.fn();
    const problems = problemsOf(UNCONNECTED);
    render(<ProblemsList problems={problems} nodeLabel={(id) => (id === 'reply' ? 'Greeting' : id)} onJump={onJump} />);
    const list = screen.getByRole('list', { name: 'Validation problems' });
    expect(list.textContent).toContain('cannot be reached');
    expect(list.textContent).toContain('needs text');
    expect(screen.getByRole('status').textContent).toBe(`${problems.length} problems to fix before publishing`);
    fireEvent.click(screen.getAllByRole('button', { name: 'Greeting' })[0]!);
    expect(onJump).toHaveBeenCalledWith('reply');
  });

  it('lists a warning apart and says the flow can still be published when nothing else is wrong', () => {
    const warning = {
      code: 'credential_in_plain_text' as const,
      severity: 'warning' as const,
      nodeId: 'call',
      message: 'the Authorization header holds a credential in plain text',
    };
    render(<ProblemsList problems={[warning]} nodeLabel={(id) => id} onJump={() => undefined} />);
    expect(screen.getByRole('status').textContent).toBe('1 warning: this flow can be published, but read it first');
    expect(screen.getByRole('list', { name: 'Validation problems' }).textContent).toContain('Warning, call: the Authorization header');
    cleanup();
    render(<ProblemsList problems={[...problemsOf(UNCONNECTED), warning]} nodeLabel={(id) => id} onJump={() => undefined} />);
    expect(screen.getByRole('status').textContent).toBe(
      `${problemsOf(UNCONNECTED).length} problems to fix before publishing, and 1 warning`,
    );
  });

  it('says the flow can be published when there is no problem', () => {
    render(<ProblemsList problems={[]} nodeLabel={(id) => id} onJump={() => undefined} />);
    expect(screen.getByRole('status').textContent).toContain('can be published');
  });

  it('groups problems by node for the canvas, leaving out flow-wide ones', () => {
    const byNode = problemsByNode([...problemsOf(UNCONNECTED), { code: 'no_trigger', message: 'no trigger' }]);
    expect([...byNode.keys()]).toEqual(['reply']);
    expect(
      byNode
        .get('reply')!
        .map((p) => p.code)
        .sort(),
    ).toEqual(['invalid_config', 'unreachable_node']);
  });
});
