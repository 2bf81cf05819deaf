import safeRegex from 'safe-regex2';

/** Longest pattern a trigger may use; keyword triggers seldom need more than 50. */
export const MAX_REGEX_CHARS = 200;
/** Most repetitions (`*`, `+`, `?`, `{n,m}`) in a pattern, as safe-regex2 counts them. */
export const MAX_REGEX_REPETITIONS = 25;

export type RegexProblemCode = 'regex_too_long' | 'regex_invalid' | 'regex_unsafe';
export interface RegexProblem {
  code: RegexProblemCode;
  message: string;
}

/** The flags a trigger regex is compiled with: only case-insensitivity is configurable. */
export function regexFlags(caseInsensitive: boolean): string {
  return caseInsensitive ? 'i' : '';
}

/**
 * Structural hazards that safe-regex2's star-height test misses: backreferences (matching
 * them is NP-hard) and an alternation repeated without bound, such as `(a|ab)*`, whose
 * overlapping branches backtrack exponentially.
 */
function structuralHazard(pattern: string): string | null {
  // Each open group remembers whether it has a top-level "|".
  const groups: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i += 1) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || next === 'k')) return 'it uses a backreference';
      i += 1;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') inClass = true;
    else if (ch === '(') groups.push(false);
    else if (ch === '|' && groups.length > 0) groups[groups.length - 1] = true;
    else if (ch === ')') {
      const hadAlternation = groups.pop() ?? false;
      const rest = pattern.slice(i + 1);
      if (hadAlternation && /^(\*|\+|\{\d+,\})/.test(rest)) return 'it repeats an alternation without bound';
    }
  }
  return null;
}

/** Checks a trigger pattern: length, compilation, then catastrophic backtracking. */
export function checkRegex(pattern: string, caseInsensitive: boolean): RegexProblem[] {
  if (pattern.length > MAX_REGEX_CHARS) {
    return [{ code: 'regex_too_long', message: `a pattern may have at most ${MAX_REGEX_CHARS} characters (this one has ${pattern.length})` }];
  }
  try {
    new RegExp(pattern, regexFlags(caseInsensitive));
  } catch (error) {
    return [{ code: 'regex_invalid', message: `the pattern does not compile: ${error instanceof Error ? error.message : String(error)}` }];
  }
  const hazard = structuralHazard(pattern);
  if (hazard !== null) return [{ code: 'regex_unsafe', message: `the pattern may take exponential time: ${hazard}` }];
  if (!safeRegex(pattern, { limit: MAX_REGEX_REPETITIONS })) {
    return [{ code: 'regex_unsafe', message: 'the pattern may take exponential time: it nests repetitions, such as (a+)+, or repeats too often' }];
  }
  return [];
}
