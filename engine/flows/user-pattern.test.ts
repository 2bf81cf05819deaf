import { describe, expect, it } from 'vitest';
import {
  checkPattern,
  compileUserPattern,
  MAX_PATTERN_CHARS,
  MAX_PATTERN_INPUT_CHARS,
  MAX_PATTERN_PROGRAM_SIZE,
  type UserPattern,
} from './user-pattern.ts';

const codes = (pattern: string) => checkPattern(pattern, true).map((p) => p.code);
const problemOf = (pattern: string) => {
  const [problem, ...more] = checkPattern(pattern, true);
  expect(more).toEqual([]);
  return problem;
};
const compiled = (pattern: string, caseInsensitive = true): UserPattern => {
  const result = compileUserPattern(pattern, caseInsensitive);
  if (!result.ok) throw new Error(`fixture: ${result.problem.message}`);
  return result.pattern;
};

describe('when a trigger pattern is ordinary', () => {
  it('accepts it', () => {
    for (const pattern of [
      '^price(s)?$',
      '\\border\\s+#?\\d{3,8}\\b',
      '^(yes|no)$',
      '[a-z]+@[a-z]+\\.com',
      '\\(1\\)+',
      '(?<size>small|large)',
      '\\\\1',
      '([|(]x)+',
    ]) {
      expect(codes(pattern), pattern).toEqual([]);
    }
  });

  it('matches anywhere in the text, ignoring case only when asked', () => {
    expect(compiled('^order #?\\d+$').test('ORDER #1234')).toBe(true);
    expect(compiled('^order', false).test('ORDER 1')).toBe(false);
    expect(compiled('price').test('what is the price?')).toBe(true);
  });

  it('folds case across Unicode and counts an emoji as one character', () => {
    expect(compiled('^café$').test('CAFÉ')).toBe(true);
    expect(compiled('^σ$').test('Σ')).toBe(true);
    expect(compiled('^.$').test('😀')).toBe(true);
  });

  it(`looks only at the first ${MAX_PATTERN_INPUT_CHARS} characters of a message`, () => {
    const pattern = compiled('z');
    expect(pattern.test(`${'a'.repeat(MAX_PATTERN_INPUT_CHARS - 1)}z`)).toBe(true);
    expect(pattern.test(`${'a'.repeat(MAX_PATTERN_INPUT_CHARS)}z`)).toBe(false);
  });
});

describe('when a pattern is too long', () => {
  it('reports regex_too_long before anything else', () => {
    expect(codes(`(${'a'.repeat(MAX_PATTERN_CHARS)}`)).toEqual(['regex_too_long']);
    expect(codes('a'.repeat(MAX_PATTERN_CHARS))).toEqual([]);
  });
});

describe('when a pattern does not compile', () => {
  it('reports regex_invalid with what is wrong and where', () => {
    expect(problemOf('(abc')).toEqual({ code: 'regex_invalid', message: 'the pattern does not compile: missing closing ): (abc' });
    expect(problemOf('x{3,2}')).toEqual({ code: 'regex_invalid', message: 'the pattern does not compile: invalid repeat count: {3,2}' });
    expect(problemOf('a**')?.code).toBe('regex_invalid');
  });
});

describe('when a pattern uses syntax that RE2 lacks', () => {
  it('names a look-ahead and says how to do without it', () => {
    for (const pattern of ['price(?= now)', 'price(?! later)']) {
      expect(problemOf(pattern)).toEqual({
        code: 'regex_unsupported',
        message:
          'this pattern uses a look-ahead (?=…) or (?!…), which OneMessage does not support; match the text itself instead, or add a condition to the trigger',
      });
    }
  });

  it('names a look-behind', () => {
    for (const pattern of ['(?<=#)\\d+', '(?<!no )thanks']) {
      expect(problemOf(pattern)?.code).toBe('regex_unsupported');
      expect(problemOf(pattern)?.message).toMatch(
        /^this pattern uses a look-behind \(\?<=…\) or \(\?<!…\), which OneMessage does not support; /,
      );
    }
  });

  it('names a backreference, numbered or named', () => {
    expect(problemOf('(a)\\1')).toEqual({
      code: 'regex_unsupported',
      message:
        'this pattern refers back to an earlier group (\\1), which OneMessage does not support; write out the text you expect instead',
    });
    expect(problemOf('(?<q>a)\\k<q>')?.message).toMatch(/^this pattern refers back to an earlier group \(\\k\)/);
  });

  it('names possessive repeats and atomic groups', () => {
    expect(problemOf('a++')).toEqual({
      code: 'regex_unsupported',
      message: 'this pattern uses a possessive repeat (++), which OneMessage does not support; use + alone',
    });
    expect(problemOf('a*+b')?.message).toMatch(/possessive repeat \(\*\+\).*use \* alone$/);
    expect(problemOf('a{2,3}+')?.message).toMatch(/possessive repeat \(\{2,3\}\+\).*use \{2,3\} alone$/);
    expect(problemOf('(?>ab)c')).toEqual({
      code: 'regex_unsupported',
      message: 'this pattern uses an atomic group (?>…), which OneMessage does not support; use a plain group (?:…)',
    });
  });

  it('suggests \\x{…} for a \\u escape', () => {
    expect(problemOf('caf\\u00e9')).toEqual({
      code: 'regex_unsupported',
      message:
        'this pattern writes a character as \\u followed by its code, which OneMessage does not support; type the character itself, or write its code as \\x{00e9}',
    });
  });

  it('names any other escape or group it does not understand', () => {
    expect(problemOf('end\\Z')?.message).toBe('this pattern uses \\Z, which OneMessage does not support; use $ for the end of the message');
    expect(problemOf('\\e')?.message).toBe(
      'this pattern uses \\e, which OneMessage does not support; remove the backslash to match the letter itself',
    );
    expect(problemOf('(?x) a b')?.code).toBe('regex_unsupported');
  });
});

describe('when a pattern would be too costly to run on every message', () => {
  it(`reports regex_unsafe above ${MAX_PATTERN_PROGRAM_SIZE} steps per character`, () => {
    expect(problemOf('\\p{L}{1000}z')).toEqual({
      code: 'regex_unsafe',
      message: `this pattern is too big to check on every message: it counts as 1003 steps per character, at most ${MAX_PATTERN_PROGRAM_SIZE} are allowed; use smaller repeat counts, such as {1,50} instead of {1,500}`,
    });
    expect(codes('\\w{250}')).toEqual([]);
  });

  it('reports regex_unsafe for a repeat count RE2 refuses as too large', () => {
    expect(problemOf('a{1001}')?.code).toBe('regex_unsafe');
    expect(problemOf('(a{100}){100}')?.message).toMatch(
      /^this pattern is too big to check on every message: a repeat such as \{100\} may count to at most 1,000/,
    );
  });
});

describe('when a pattern made JavaScript backtrack catastrophically', () => {
  const hostile: [pattern: string, text: string][] = [
    ['a*a*a*a*a*b', 'a'.repeat(MAX_PATTERN_INPUT_CHARS)],
    ['.*.*.*.*=', 'x'.repeat(MAX_PATTERN_INPUT_CHARS)],
    ['(a+)+$', `${'a'.repeat(MAX_PATTERN_INPUT_CHARS - 1)}!`],
    ['^(a+)+$', `${'a'.repeat(MAX_PATTERN_INPUT_CHARS - 1)}!`],
    ['(a|a)*b', 'a'.repeat(MAX_PATTERN_INPUT_CHARS)],
    ['^(a|ab)*$', `${'ab'.repeat(MAX_PATTERN_INPUT_CHARS / 2 - 1)}a!`],
    ['(x+x+)+y', 'x'.repeat(MAX_PATTERN_INPUT_CHARS)],
    ['(\\w*)*x', 'a'.repeat(MAX_PATTERN_INPUT_CHARS)],
  ];

  it('accepts it: the engine runs in linear time, so nesting no longer matters', () => {
    for (const [pattern] of hostile) expect(codes(pattern), pattern).toEqual([]);
  });

  it(`compiles it and checks a ${MAX_PATTERN_INPUT_CHARS}-character message in milliseconds`, () => {
    // A generous bound per run, not a benchmark: on JavaScript's RegExp each of these runs for
    // minutes or far longer; the bound only has to tell linear from not on a loaded CI machine.
    const boundPerRunMs = 100;
    const runs: { pattern: string; ms: number; matched: boolean }[] = [];
    for (const [pattern, text] of hostile) {
      const started = performance.now();
      const matched = compiled(pattern).test(text);
      runs.push({ pattern, matched, ms: performance.now() - started });
    }
    expect(runs.filter((r) => r.ms >= boundPerRunMs)).toEqual([]);
    expect(runs.every((r) => !r.matched)).toBe(true);
  });
});
