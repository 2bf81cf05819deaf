import { foldCase, normaliseText, stripTrailingPunctuation } from './keyword-match.ts';

/** Words that opt a contact out of automation before any flow sees the message. */
export const DEFAULT_OPT_OUT_KEYWORDS: readonly string[] = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'OPTOUT', 'OPT OUT', 'OPT-OUT'];
/** Words that opt a contact back in (an opted-out contact starts no flow, so this must be global too). */
export const DEFAULT_OPT_IN_KEYWORDS: readonly string[] = ['START', 'UNSTOP', 'OPTIN', 'OPT IN', 'OPT-IN'];

/** Longest message still compared with the global keywords. */
const MAX_GLOBAL_KEYWORD_MESSAGE_CHARS = 64;

export type GlobalKeywordAction = 'opt_out' | 'opt_in';
export interface GlobalKeywordHit {
  action: GlobalKeywordAction;
  /** The configured keyword that matched, as configured. */
  keyword: string;
}

export interface GlobalKeywordConfig {
  optOut?: readonly string[];
  optIn?: readonly string[];
}

/** Prepared global keywords: folded once, looked up per message. */
export interface GlobalKeywords {
  match(text: string | undefined): GlobalKeywordHit | null;
}

function prepare(keyword: string): string {
  return foldCase(stripTrailingPunctuation(normaliseText(keyword)));
}

/**
 * Prepares global keywords. A message matches when its whole text is the keyword, in any case
 * and with closing punctuation ("Stop.", "stop!"); "please stop" does not (that is a flow's job).
 * Opt-out wins when a word is in both lists.
 */
export function compileGlobalKeywords(config: GlobalKeywordConfig = {}): GlobalKeywords {
  const table = new Map<string, GlobalKeywordHit>();
  for (const keyword of config.optIn ?? DEFAULT_OPT_IN_KEYWORDS) table.set(prepare(keyword), { action: 'opt_in', keyword });
  for (const keyword of config.optOut ?? DEFAULT_OPT_OUT_KEYWORDS) table.set(prepare(keyword), { action: 'opt_out', keyword });
  table.delete('');
  return {
    match(text) {
      // Keywords are short; a long message is never a bare keyword, and need not be normalised.
      if (text === undefined || text.length > MAX_GLOBAL_KEYWORD_MESSAGE_CHARS) return null;
      return table.get(prepare(text)) ?? null;
    },
  };
}
