import { RE2JS, RE2JSException, RE2JSSyntaxException } from 're2js';

/**
 * Patterns written by users (a message trigger's regex) run on RE2 semantics through re2js: a
 * finite-automaton engine whose matching time grows linearly with the text, whatever the pattern.
 * JavaScript's RegExp backtracks, and a polynomial pattern such as `a*a*a*a*a*b` on a long message
 * held the event loop for a minute and a half, freezing every tenant served by that process.
 * Nothing else may compile a user's pattern: every check and every match goes through here.
 */

/** Longest pattern a trigger may use; keyword triggers seldom need more than 50. */
export const MAX_PATTERN_CHARS = 200;

/**
 * Most instructions a compiled pattern may have (re2js `programSize()`). Matching costs up to
 * input length × program size: ordinary patterns stay under 100 (an IBAN check is 99), while
 * `\p{L}{1000}z` is 1,003 and, measured on a 4,096-character message, fell off re2js's DFA onto
 * its NFA at about 150 ms per message (from ~700 up, 85 ms and more). At 300 a repeated text costs
 * ~40 ms the first time (building the DFA) and under 1 ms afterwards, but a text that keeps the
 * DFA from settling (random letters against `a.{290}$`) costs 70-150 ms every time: what one
 * pattern may cost a message, and why MAX_WORKSPACE_PATTERN_PROGRAM_SIZE bounds their sum.
 */
export const MAX_PATTERN_PROGRAM_SIZE = 300;

/**
 * Most pattern instructions (the sum of `UserPattern.programSize`) one workspace's regex triggers
 * may have together. Each pattern runs in linear time, but every regex trigger is tried on each
 * message, and a workspace may publish 1,000 triggers per flow in any number of flows: 200
 * copies of `a.{290}$` (294 instructions, about 70-150 ms each on a 4,096-character message)
 * held the event loop for 27 s, for every tenant of the process. 1,000 bounds one message to a
 * few hundred milliseconds at worst and leaves room for ten patterns of an IBAN check's size or
 * dozens of keyword-like ones; keyword triggers cost nothing against it. The trigger index spends it
 * over a workspace's published flows; validation holds one flow to it.
 */
export const MAX_WORKSPACE_PATTERN_PROGRAM_SIZE = 1_000;

/**
 * Longest prefix of a message a pattern is run on. Linear time is linear in this: together with
 * MAX_PATTERN_PROGRAM_SIZE it bounds what one message can cost. Triggers are about how a message
 * starts, and WhatsApp allows 65,536 characters.
 */
export const MAX_PATTERN_INPUT_CHARS = 4_096;

export type PatternProblemCode = 'regex_too_long' | 'regex_invalid' | 'regex_unsupported' | 'regex_unsafe';
export interface PatternProblem {
  code: PatternProblemCode;
  message: string;
}

/** A user's pattern, compiled once, tested against many texts. */
export interface UserPattern {
  readonly source: string;
  /** re2js `programSize()`: what one test may cost per character of text (at most MAX_PATTERN_PROGRAM_SIZE). */
  readonly programSize: number;
  /** Whether the pattern occurs in the first MAX_PATTERN_INPUT_CHARS characters of `text`. */
  test(text: string): boolean;
}

export type PatternCompilation = { ok: true; pattern: UserPattern } | { ok: false; problem: PatternProblem };

/** re2js's syntax error descriptions (Go's regexp/syntax ErrorCode strings); re2js does not export them. */
const RE2_ERROR = {
  invalidEscape: 'invalid escape sequence',
  invalidNamedCapture: 'invalid named capture',
  invalidPerlOp: 'invalid or unsupported Perl syntax',
  invalidRepeatOp: 'invalid nested repetition operator',
  invalidRepeatSize: 'invalid repeat count',
  nestingDepth: 'expression nests too deeply',
  large: 'expression too large',
} as const;

const NOT_SUPPORTED = 'which OneMessage does not support';
const TOO_BIG = 'this pattern is too big to check on every message';

/**
 * Syntax that JavaScript (and so a pattern copied from the web) accepts but RE2 lacks, told in the
 * user's words with a way around it. First match wins; `fragment` is the part re2js quoted.
 */
const UNSUPPORTED_SYNTAX: readonly { error: string; when: (fragment: string) => boolean; message: (fragment: string) => string }[] = [
  {
    error: RE2_ERROR.invalidPerlOp,
    when: (f) => f.startsWith('(?=') || f.startsWith('(?!'),
    message: () =>
      `this pattern uses a look-ahead (?=…) or (?!…), ${NOT_SUPPORTED}; match the text itself instead, or add a condition to the trigger`,
  },
  {
    error: RE2_ERROR.invalidNamedCapture,
    when: (f) => f.startsWith('(?<=') || f.startsWith('(?<!'),
    message: () =>
      `this pattern uses a look-behind (?<=…) or (?<!…), ${NOT_SUPPORTED}; match the text itself instead, or add a condition to the trigger`,
  },
  {
    error: RE2_ERROR.invalidEscape,
    when: (f) => /^\\[1-9k]/.test(f),
    message: (f) => `this pattern refers back to an earlier group (${f}), ${NOT_SUPPORTED}; write out the text you expect instead`,
  },
  {
    error: RE2_ERROR.invalidEscape,
    when: (f) => f === '\\u',
    message: () =>
      `this pattern writes a character as \\u followed by its code, ${NOT_SUPPORTED}; type the character itself, or write its code as \\x{00e9}`,
  },
  {
    error: RE2_ERROR.invalidEscape,
    when: (f) => f === '\\Z',
    message: () => `this pattern uses \\Z, ${NOT_SUPPORTED}; use $ for the end of the message`,
  },
  {
    error: RE2_ERROR.invalidEscape,
    when: () => true,
    message: (f) => `this pattern uses ${f}, ${NOT_SUPPORTED}; remove the backslash to match the letter itself`,
  },
  {
    error: RE2_ERROR.invalidRepeatOp,
    when: (f) => /^([*+?]|\{\d+(,\d*)?\})\+$/.test(f),
    message: (f) => `this pattern uses a possessive repeat (${f}), ${NOT_SUPPORTED}; use ${f.slice(0, -1)} alone`,
  },
  {
    error: RE2_ERROR.invalidPerlOp,
    when: (f) => f.startsWith('(?>'),
    message: () => `this pattern uses an atomic group (?>…), ${NOT_SUPPORTED}; use a plain group (?:…)`,
  },
  {
    error: RE2_ERROR.invalidPerlOp,
    when: () => true,
    message: (f) =>
      `this pattern uses ${f}, ${NOT_SUPPORTED}; the flags it understands are (?i), (?m), (?s) and (?U), and groups are (…), (?:…) and (?<name>…)`,
  },
];

function isOutOfOrderCount(fragment: string): boolean {
  const counts = /^\{(\d+),(\d+)\}$/.exec(fragment);
  return counts !== null && Number(counts[1]) > Number(counts[2]);
}

function problemOfSyntaxError(error: RE2JSSyntaxException): PatternProblem {
  const fragment = error.input ?? '';
  const unsupported = UNSUPPORTED_SYNTAX.find((s) => s.error === error.error && s.when(fragment));
  if (unsupported) return { code: 'regex_unsupported', message: unsupported.message(fragment) };
  if (error.error === RE2_ERROR.invalidRepeatSize && !isOutOfOrderCount(fragment)) {
    return {
      code: 'regex_unsafe',
      message: `${TOO_BIG}: a repeat such as ${fragment} may count to at most 1,000, repeats inside repeats included; use smaller counts`,
    };
  }
  if (error.error === RE2_ERROR.large || error.error === RE2_ERROR.nestingDepth) {
    return { code: 'regex_unsafe', message: `${TOO_BIG}: ${error.error}; use smaller repeat counts or fewer nested groups` };
  }
  return { code: 'regex_invalid', message: `the pattern does not compile: ${error.error}${fragment === '' ? '' : `: ${fragment}`}` };
}

/**
 * Why `source` does not compile. re2js writes a flag as a `(?i)` prefix into the pattern it
 * parses, and so into the fragment its error quotes; syntax does not depend on flags, so the
 * error is taken from a compilation without any.
 */
function problemOfCompileError(source: string): PatternProblem {
  try {
    RE2JS.compile(source);
  } catch (error) {
    if (error instanceof RE2JSSyntaxException) return problemOfSyntaxError(error);
    if (error instanceof RE2JSException) return { code: 'regex_invalid', message: `the pattern does not compile: ${error.message}` };
    throw error;
  }
  return { code: 'regex_invalid', message: 'the pattern does not compile when matching ignores case' };
}

/** Compiles a user's pattern with RE2 semantics, or says in the user's words why it cannot run. */
export function compileUserPattern(source: string, caseInsensitive: boolean): PatternCompilation {
  if (source.length > MAX_PATTERN_CHARS) {
    return {
      ok: false,
      problem: {
        code: 'regex_too_long',
        message: `a pattern may have at most ${MAX_PATTERN_CHARS} characters (this one has ${source.length})`,
      },
    };
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(source, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    return { ok: false, problem: problemOfCompileError(source) };
  }
  const size = re.programSize();
  if (size > MAX_PATTERN_PROGRAM_SIZE) {
    return {
      ok: false,
      problem: {
        code: 'regex_unsafe',
        message: `${TOO_BIG}: it counts as ${size} steps per character, at most ${MAX_PATTERN_PROGRAM_SIZE} are allowed; use smaller repeat counts, such as {1,50} instead of {1,500}`,
      },
    };
  }
  return { ok: true, pattern: { source, programSize: size, test: (text) => re.test(text.slice(0, MAX_PATTERN_INPUT_CHARS)) } };
}

/** The problems validation reports for a user's pattern: none, or the one that stops it compiling. */
export function checkPattern(source: string, caseInsensitive: boolean): PatternProblem[] {
  const compiled = compileUserPattern(source, caseInsensitive);
  return compiled.ok ? [] : [compiled.problem];
}
