// @vitest-environment happy-dom
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { validateJsonLogic } from '../../../engine/flows/json-logic.ts';
import { ConditionBuilder } from './condition-builder.tsx';
import { SEGMENT_VARIABLES } from './template-variables.ts';
import { renderInApp } from '../test-support/render-in-app.tsx';

const render = renderInApp;

/** The builder is controlled: this keeps its value the way the config form does, and exposes it. */
function Harness({ initial, seen }: { initial: unknown; seen: unknown[] }) {
  const [rule, setRule] = useState<unknown>(initial);
  return (
    <ConditionBuilder
      label="Rule"
      value={rule}
      onChange={(next) => {
        seen.push(next);
        setRule(next);
      }}
    />
  );
}

const rawJson = () => screen.getByLabelText('Rule as JSON') as HTMLTextAreaElement;

afterEach(cleanup);

describe('the condition builder', () => {
  it('shows a single comparison as one row of field, operator and value', () => {
    render(<Harness initial={{ '==': [{ var: 'contact.attributes.plan' }, 'pro'] }} seen={[]} />);
    expect((screen.getAllByLabelText('Field').find((el) => el.tagName === 'INPUT') as HTMLInputElement).value).toBe(
      'contact.attributes.plan',
    );
    expect((screen.getByLabelText('Operator') as HTMLSelectElement).value).toBe('equals');
    expect((screen.getByLabelText('Value') as HTMLInputElement).value).toBe('pro');
  });

  it('writes an AND group when a second row is added, and an OR group when the match is switched', () => {
    const seen: unknown[] = [];
    render(<Harness initial={{ '==': [{ var: 'message.text' }, 'hi'] }} seen={seen} />);
    fireEvent.click(screen.getByRole('button', { name: 'Add condition' }));
    expect(seen.at(-1)).toEqual({ and: [{ '==': [{ var: 'message.text' }, 'hi'] }, { '==': [{ var: 'message.text' }, ''] }] });
    fireEvent.change(screen.getByLabelText('Match'), { target: { value: 'or' } });
    expect(Object.keys(seen.at(-1) as object)).toEqual(['or']);
  });

  it('keeps numbers as numbers in greater-than comparisons, and the rule passes the engine validation', () => {
    const seen: unknown[] = [];
    render(<Harness initial={{ '==': [{ var: 'contact.attributes.age' }, ''] }} seen={seen} />);
    fireEvent.change(screen.getByLabelText('Operator'), { target: { value: 'greater' } });
    fireEvent.change(screen.getByLabelText('Value'), { target: { value: '18' } });
    expect(seen.at(-1)).toEqual({ '>': [{ var: 'contact.attributes.age' }, 18] });
    expect(validateJsonLogic(seen.at(-1))).toEqual([]);
  });

  it('keeps the raw JSON view in sync with the rows, both ways', () => {
    const seen: unknown[] = [];
    render(<Harness initial={{ '==': [{ var: 'message.text' }, 'hi'] }} seen={seen} />);
    fireEvent.change(screen.getByLabelText('Value'), { target: { value: 'hello' } });
    expect(JSON.parse(rawJson().value)).toEqual({ '==': [{ var: 'message.text' }, 'hello'] });

    fireEvent.change(rawJson(), { target: { value: '{"in": ["price", {"var": "message.text"}]}' } });
    expect((screen.getByLabelText('Operator') as HTMLSelectElement).value).toBe('contains');
    expect((screen.getByLabelText('Value') as HTMLInputElement).value).toBe('price');
  });

  it('does not change the rule while the raw JSON does not parse, and says so', () => {
    const seen: unknown[] = [];
    render(<Harness initial={{ '==': [{ var: 'message.text' }, 'hi'] }} seen={seen} />);
    fireEvent.change(rawJson(), { target: { value: '{"==": [' } });
    expect(seen).toEqual([]);
    expect(screen.getByText(/Not valid JSON yet/)).toBeTruthy();
  });

  it('offers only the raw JSON for a rule it cannot draw as rows', () => {
    render(<Harness initial={{ if: [{ var: 'a' }, 1, 2] }} seen={[]} />);
    expect(screen.getByText(/edit it as JSON below/)).toBeTruthy();
    expect(screen.queryByLabelText('Field')).toBeNull();
  });

  describe('when it edits a segment (contact facts from a list, the JSON behind "Advanced")', () => {
    it('starts a new condition on a contact field and offers only contact fields, by name', () => {
      const seen: unknown[] = [];
      renderInApp(
        <ConditionBuilder
          label="Rule"
          value={{ in: ['vip', { var: 'contact.tags' }] }}
          variables={SEGMENT_VARIABLES}
          fields="segment"
          onChange={(next) => seen.push(next)}
        />,
      );
      fireEvent.click(screen.getByRole('button', { name: 'Add condition' }));
      expect(seen.at(-1)).toEqual({ and: [{ in: ['vip', { var: 'contact.tags' }] }, { '==': [{ var: 'contact.tags' }, ''] }] });
      const offered = [...(screen.getByLabelText('Field') as HTMLSelectElement).options];
      expect(offered.map((o) => o.textContent)).toContain('Tags');
      expect(offered.every((o) => o.value.startsWith('contact.'))).toBe(true);
      expect(screen.queryByLabelText('Rule as JSON')).toBeNull();
    });

    it('picks an attribute by its name, and shows the JSON only when asked', () => {
      const seen: unknown[] = [];
      function Segment() {
        const [rule, setRule] = useState<unknown>({ '==': [{ var: 'contact.tags' }, ''] });
        return (
          <ConditionBuilder
            label="Rule"
            value={rule}
            variables={SEGMENT_VARIABLES}
            fields="segment"
            onChange={(next) => {
              seen.push(next);
              setRule(next);
            }}
          />
        );
      }
      renderInApp(<Segment />);
      fireEvent.change(screen.getByLabelText('Field'), { target: { value: 'contact.attributes.' } });
      fireEvent.change(screen.getByLabelText('Attribute name'), { target: { value: 'plan' } });
      fireEvent.change(screen.getByLabelText('Value'), { target: { value: 'pro' } });
      expect(seen.at(-1)).toEqual({ '==': [{ var: 'contact.attributes.plan' }, 'pro'] });
      fireEvent.click(screen.getByRole('button', { name: 'Advanced: the rule as JSON' }));
      expect(JSON.parse(rawJson().value)).toEqual({ '==': [{ var: 'contact.attributes.plan' }, 'pro'] });
    });
  });
});
