import { describe, expect, it } from 'vitest';
import { jsonNestsDeeperThan } from './json-nesting-depth.ts';

const deeper = (text: string, max: number) => jsonNestsDeeperThan(Buffer.from(text, 'utf8'), max);

describe('jsonNestsDeeperThan', () => {
  it('counts arrays and objects one inside another, up to and past the limit', () => {
    expect(deeper('{"a": [{"b": [1]}]}', 4)).toBe(false);
    expect(deeper('{"a": [{"b": [[1]]}]}', 4)).toBe(true);
  });

  it('counts siblings once: depth, not the number of brackets', () => {
    expect(deeper(`[${'[1],'.repeat(10_000)}[2]]`, 2)).toBe(false);
  });

  it('does not count brackets inside strings, escaped quotes and backslashes included', () => {
    expect(deeper(`{"a": "${'['.repeat(100)}"}`, 1)).toBe(false);
    expect(deeper(`{"a": "\\"${'{'.repeat(100)}"}`, 1)).toBe(false);
    // An escaped backslash ends right before the closing quote: the brackets after it count.
    expect(deeper(`{"a": "\\\\", "b": [[[1]]]}`, 3)).toBe(true);
  });

  it('reads multi-byte UTF-8 text without mistaking its bytes for brackets', () => {
    expect(deeper('{"name": "Zoë ☕ 𝄞 [", "x": [1]}', 2)).toBe(false);
  });

  it('stops at the first level past the limit on a 30,000-level body', () => {
    expect(deeper('['.repeat(30_000) + ']'.repeat(30_000), 128)).toBe(true);
  });

  it('leaves malformed text to the JSON parser (closing brackets first do not go below zero)', () => {
    expect(deeper(']]]]' + '[[', 2)).toBe(false);
    expect(deeper(']]]]' + '[[[', 2)).toBe(true);
  });
});
