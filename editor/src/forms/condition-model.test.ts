import { describe, expect, it } from 'vitest';
import { describeCondition } from './condition-model.ts';

const labels: Record<string, string> = { 'message.text': 'Message text', 'contact.tags': 'Contact tags' };
const labelOf = (path: string) => labels[path] ?? path;

describe('a condition in words', () => {
  it('names the fields by their labels and quotes the values', () => {
    expect(describeCondition({ in: ['invoice', { var: 'message.text' }] }, labelOf)).toBe('Message text contains “invoice”');
  });

  it('joins a group with and/or and brackets nested groups', () => {
    const rule = {
      or: [
        { '!!': { var: 'contact.attributes.vip' } },
        { and: [{ in: ['vip', { var: 'contact.tags' }] }, { '>': [{ var: 'contact.attributes.orders' }, 3] }] },
      ],
    };
    expect(describeCondition(rule, labelOf)).toBe(
      'contact.attributes.vip is set or (Contact tags contains “vip” and contact.attributes.orders is greater than “3”)',
    );
  });

  it('gives up on rules the builder cannot read, so that the page shows their JSON', () => {
    expect(describeCondition({ if: [true, 1, 2] })).toBeNull();
  });
});
