import { describe, expect, it } from 'vitest';
import { outputInWords } from './flow-node.tsx';

describe('a run step drawn on its node', () => {
  it('says what the step did in words, never as JSON', () => {
    expect(outputInWords({ message: { id: 'm', text: 'hi' }, trigger: { kind: 'message' } })).toBe('Received “hi”');
    expect(outputInWords({ result: { text: 'Our prices' }, effects: [{ kind: 'send' }] })).toBe('Sent “Our prices”');
    expect(outputInWords({ result: { key: 'plan', value: 'pro' }, effects: [] })).toBe('Set plan to “pro”');
    expect(outputInWords(null)).toBe('done');
  });
});
