import { describe, expect, it } from 'vitest';
import { checkRegex, MAX_REGEX_CHARS } from './regex-safety.ts';

const codes = (pattern: string) => checkRegex(pattern, true).map((p) => p.code);

describe('when a trigger pattern is ordinary', () => {
  it('accepts it', () => {
    for (const pattern of ['^price(s)?$', '\\border\\s+#?\\d{3,8}\\b', '^(yes|no)$', '[a-z]+@[a-z]+\\.com', '\\(1\\)+']) expect(codes(pattern), pattern).toEqual([]);
  });
});

describe('when a pattern is too long', () => {
  it('reports regex_too_long before anything else', () => {
    expect(codes('a'.repeat(MAX_REGEX_CHARS + 1))).toEqual(['regex_too_long']);
    expect(codes('a'.repeat(MAX_REGEX_CHARS))).toEqual([]);
  });
});

describe('when a pattern does not compile', () => {
  it('reports regex_invalid with the engine message', () => {
    const [problem] = checkRegex('(abc', false);
    expect(problem?.code).toBe('regex_invalid');
    expect(problem?.message).toMatch(/^the pattern does not compile: /);
  });
});

describe('when a pattern can backtrack catastrophically', () => {
  it('reports nested quantifiers', () => {
    for (const pattern of ['^(a+)+$', '(\\w*)*x', '(.*a){2,}']) expect(codes(pattern), pattern).toEqual(['regex_unsafe']);
  });

  it('reports an alternation repeated without bound', () => {
    expect(codes('^(a|ab)*$')).toEqual(['regex_unsafe']);
    expect(codes('(x|y){2,}')).toEqual(['regex_unsafe']);
  });

  it('reports backreferences, but not an escaped backslash followed by a digit', () => {
    expect(codes('(a)\\1')).toEqual(['regex_unsafe']);
    expect(codes('(?<q>a)\\k<q>')).toEqual(['regex_unsafe']);
    expect(codes('\\\\1')).toEqual([]);
  });

  it('ignores | and ( inside a character class', () => {
    expect(codes('([|(]x)+')).toEqual([]);
  });
});
