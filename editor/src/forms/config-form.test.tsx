// @vitest-environment happy-dom
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { findNodeDefinition } from '../../../engine/flows/node-catalog.ts';
import { validateFlow } from '../../../engine/flows/validate-flow.ts';
import { ConfigForm, fieldErrorsOf, fieldKeyOf } from './config-form.tsx';
import { configJsonSchema } from './json-schema.ts';
import { renderInApp as render } from '../test-support/render-in-app.tsx';

/** A node's form over its kind's default config, recording every config it produces. */
function NodeForm({ kind, seen, initial }: { kind: string; seen: unknown[]; initial?: unknown }) {
  const [config, setConfig] = useState<unknown>(initial ?? structuredClone(findNodeDefinition(kind)!.defaultConfig));
  return (
    <ConfigForm
      schema={configJsonSchema(kind)!}
      value={config}
      onChange={(next) => {
        seen.push(next);
        setConfig(next);
      }}
    />
  );
}

const parses = (kind: string, config: unknown) => findNodeDefinition(kind)!.configSchema.safeParse(config).success;

afterEach(cleanup);

describe('the config form generated from a node schema', () => {
  it('shows the keywords of a message trigger as a list with a named remove button each, and the result passes the engine schema', () => {
    const seen: unknown[] = [];
    // Typing a keyword and pressing Enter is driven in Chromium (test/e2e/editor-flow.test.ts): happy-dom does not run Mantine's tags input.
    render(<NodeForm kind="message_received" seen={seen} initial={{ match: { kind: 'keyword', keywords: ['hi', 'price'] } }} />);
    expect(screen.getByText('hi')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Remove hi' }));
    const config = seen.at(-1) as { match: { keywords: string[] } };
    expect(config.match.keywords).toEqual(['price']);
    expect(parses('message_received', config)).toBe(true);
  });

  it('switches a discriminated union (match kind) to the fields of the chosen variant', () => {
    const seen: unknown[] = [];
    render(<NodeForm kind="message_received" seen={seen} />);
    fireEvent.click(screen.getByLabelText('Regex'));
    expect((seen.at(-1) as { match: unknown }).match).toEqual({ kind: 'regex', pattern: '' });
    fireEvent.change(screen.getByLabelText(/^Pattern/), { target: { value: '^price' } });
    expect((seen.at(-1) as { match: unknown }).match).toEqual({ kind: 'regex', pattern: '^price' });
  });

  it('edits a delay as an amount and a unit', () => {
    const seen: unknown[] = [];
    render(<NodeForm kind="delay" seen={seen} />);
    fireEvent.change(screen.getByLabelText('Duration: amount'), { target: { value: '2' } });
    fireEvent.change(screen.getByLabelText('Duration: unit'), { target: { value: 'hours' } });
    expect(seen.at(-1)).toEqual({ mode: 'duration', duration: { amount: 2, unit: 'hours' } });
    expect(parses('delay', seen.at(-1))).toBe(true);
  });

  it('shows a cron expression in words, and the engine reason when it is invalid', () => {
    render(<NodeForm kind="schedule" seen={[]} />);
    expect(screen.getByText('At 09:00, Monday to Friday')).toBeTruthy();
    fireEvent.change(screen.getByLabelText(/^Cron/), { target: { value: '0 25 * * *' } });
    expect(screen.getByText(/outside the hour range/)).toBeTruthy();
  });

  it('inserts a variable into a message text at the cursor', () => {
    const seen: unknown[] = [];
    render(<NodeForm kind="send_message" seen={seen} initial={{ text: 'Hello ' }} />);
    const text = screen.getByLabelText('Text') as HTMLTextAreaElement;
    text.setSelectionRange(6, 6);
    fireEvent.change(screen.getAllByLabelText('Insert variable')[0]!, { target: { value: 'contact.name' } });
    expect(seen.at(-1)).toEqual({ text: 'Hello {{contact.name}}' });
  });

  it('leaves an optional field out of the config when it is emptied, instead of writing ""', () => {
    const seen: unknown[] = [];
    render(<NodeForm kind="send_message" seen={seen} initial={{ text: 'hi', mediaUrl: 'https://example.com/a.png' }} />);
    fireEvent.change(screen.getByLabelText('Media url'), { target: { value: '' } });
    expect(seen.at(-1)).toEqual({ text: 'hi' });
  });

  it('renders a form for every node kind of the catalog', async () => {
    const { NODE_CATALOG } = await import('../../../engine/flows/node-catalog.ts');
    for (const definition of NODE_CATALOG) {
      const { unmount } = render(<NodeForm kind={definition.type} seen={[]} />);
      unmount();
    }
  });
});

describe('validation problems in the config form', () => {
  it('shows each problem under the field it concerns, in words, with the field marked', () => {
    const problems = validateFlow({
      schemaVersion: 1,
      nodes: [
        { id: 't', type: 'message_received', position: { x: 0, y: 0 }, config: { match: { kind: 'keyword', keywords: ['hi'] } } },
        { id: 'send_mxb0xwxr7ows', type: 'send_message', position: { x: 0, y: 200 }, config: { text: '' } },
      ],
      edges: [{ id: 'e', source: 't', sourceHandle: 'out', target: 'send_mxb0xwxr7ows' }],
    });
    if (problems.ok) throw new Error('fixture');
    const ofSend = problems.problems.filter((p) => p.nodeId === 'send_mxb0xwxr7ows');
    // The message names the field in words, never the document path or the node id.
    expect(ofSend.map((p) => p.message).join(' ')).not.toMatch(/nodes\.|send_mxb0xwxr7ows/);
    const errors = fieldErrorsOf(ofSend);
    expect([...errors.keys()]).toEqual(['text']);
    const { container } = render(
      <ConfigForm schema={configJsonSchema('send_message')!} value={{ text: '' }} onChange={() => undefined} errors={errors} />,
    );
    const slot = container.querySelector('[data-field-error="text"]')!;
    expect(slot.querySelector('textarea')).toBeTruthy();
    // Mantine's error slot: the field is marked invalid and described by the message.
    const field = slot.querySelector('textarea')!;
    expect(field.getAttribute('aria-invalid')).toBe('true');
    const described = field
      .getAttribute('aria-describedby')!
      .split(' ')
      .map((id) => document.getElementById(id)?.textContent);
    expect(described).toContain(errors.get('text')![0]);
  });

  it('keys nested fields by their path without list positions', () => {
    expect(fieldKeyOf(['nodes', 3, 'config', 'match', 'keywords', 0])).toBe('match/keywords');
    expect(fieldKeyOf(['edges', 1])).toBeNull();
  });
});
