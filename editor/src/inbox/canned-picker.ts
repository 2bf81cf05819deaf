import type { CannedResponse } from '../api/api-types.ts';

/** The `/shortcut` being typed at the caret: where it starts and what is typed after the slash. */
export interface SlashToken {
  start: number;
  end: number;
  query: string;
}

/**
 * The quick-reply token at the caret: a `/` at the start of the text or after a space or a new
 * line, followed by shortcut characters up to the caret. "See https://x/y" is no token (the slash
 * follows a letter).
 */
export function slashTokenAt(text: string, caret: number): SlashToken | null {
  const before = text.slice(0, caret);
  const match = /(^|\s)\/([a-z0-9_-]*)$/i.exec(before);
  if (!match) return null;
  const start = caret - match[2]!.length - 1;
  return { start, end: caret, query: match[2]!.toLowerCase() };
}

/** Quick replies matching what was typed: shortcuts that start with it first, then those whose shortcut or title contains it. */
export function matchCanned(items: readonly CannedResponse[], query: string, limit = 8): CannedResponse[] {
  const q = query.toLowerCase();
  const starts = items.filter((c) => c.shortcut.startsWith(q));
  const contains = items.filter((c) => !c.shortcut.startsWith(q) && (c.shortcut.includes(q) || c.title.toLowerCase().includes(q)));
  return [...starts, ...contains].slice(0, limit);
}

/** The text with the token replaced by the filled quick reply, and where the caret goes after it. */
export function insertCanned(text: string, token: SlashToken, filled: string): { text: string; caret: number } {
  const next = text.slice(0, token.start) + filled + text.slice(token.end);
  return { text: next, caret: token.start + filled.length };
}
