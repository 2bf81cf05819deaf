import { describe, expect, it } from 'vitest';
import type { CannedResponse } from '../api/api-types.ts';
import { insertCanned, matchCanned, slashTokenAt } from './canned-picker.ts';

const canned = (shortcut: string, title: string): CannedResponse => ({
  id: shortcut,
  shortcut,
  title,
  text: `text of ${shortcut}`,
  template: null,
  createdAt: '',
  updatedAt: '',
});
const ITEMS = [
  canned('hello', 'Greeting'),
  canned('refund', 'Refund policy'),
  canned('thanks', 'Say thanks'),
  canned('hours', 'Opening hours'),
];

describe('the quick-reply token at the caret', () => {
  it('is a slash at the start or after a space, with what follows up to the caret', () => {
    expect(slashTokenAt('/he', 3)).toEqual({ start: 0, end: 3, query: 'he' });
    expect(slashTokenAt('Sure! /ref', 10)).toEqual({ start: 6, end: 10, query: 'ref' });
    expect(slashTokenAt('line one\n/', 10)).toEqual({ start: 9, end: 10, query: '' });
  });

  it('is none inside an address or once a space follows the shortcut', () => {
    expect(slashTokenAt('see https://x.io/help', 21)).toBeNull();
    expect(slashTokenAt('/hello there', 12)).toBeNull();
    expect(slashTokenAt('and/or', 6)).toBeNull();
  });
});

describe('matching quick replies', () => {
  it('lists shortcuts that start with the query first, then those whose shortcut or title contains it', () => {
    expect(matchCanned(ITEMS, 'h').map((c) => c.shortcut)).toEqual(['hello', 'hours', 'thanks']);
    expect(matchCanned(ITEMS, 'policy').map((c) => c.shortcut)).toEqual(['refund']);
    expect(matchCanned(ITEMS, '').length).toBe(4);
  });
});

describe('inserting a quick reply', () => {
  it('replaces the token with the filled text and puts the caret after it', () => {
    const text = 'Hi! /ref and more';
    expect(insertCanned(text, { start: 4, end: 8, query: 'ref' }, 'Refunds take 5 days.')).toEqual({
      text: 'Hi! Refunds take 5 days. and more',
      caret: 24,
    });
  });
});
