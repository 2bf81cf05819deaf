import type { KeywordMode } from './nodes/message-received.node.ts';

/**
 * Text normalisation shared by keyword triggers and global keywords: Unicode NFC, surrounding
 * whitespace trimmed, inner whitespace runs collapsed to one space.
 */
export function normaliseText(text: string): string {
  return text.normalize('NFC').trim().replace(/\s+/gu, ' ');
}

const CLOSING_PUNCTUATION = /[\s.!?¡¿,;:…]/u;

/**
 * Removes closing punctuation people add to a one-word reply ("Hi!", "stop."). A loop from the
 * end, not `/[…]+$/`: that regex retried from every position of a run of punctuation that does
 * not end the text, in quadratic time (2.5 s on 65,535 dots and a letter).
 */
export function stripTrailingPunctuation(text: string): string {
  let end = text.length;
  while (end > 0 && CLOSING_PUNCTUATION.test(text[end - 1]!)) end--;
  return text.slice(0, end);
}

/**
 * Characters of a message in which a `contains` keyword may start: every trigger's keywords are
 * looked for in each message, and a search costs up to the text's length (more when the keyword
 * occurs often but not as a whole word), so, like patterns, they read how a message starts.
 */
export const MAX_KEYWORD_SEARCH_CHARS = 4_096;

/** Lower-cases for case-insensitive comparison (locale-independent). */
export function foldCase(text: string): string {
  return text.toLowerCase();
}

const WORD_CHAR = /[\p{L}\p{N}_]/u;

function isBoundary(text: string, index: number): boolean {
  const ch = text[index];
  return ch === undefined || !WORD_CHAR.test(ch);
}

/**
 * Whether prepared text matches a prepared keyword. `starts_with` and `contains` match whole
 * words only, so "hi" matches "hi there" and "oh hi!" but not "this" or "hiking"; `exact`
 * ignores closing punctuation, so "hi" matches "Hi!" when case-insensitive. `bare` is `text`
 * through stripTrailingPunctuation, stripped once per message rather than once per keyword.
 */
export function keywordMatches(mode: KeywordMode, text: string, bare: string, keyword: string): boolean {
  if (mode === 'exact') return text === keyword || bare === keyword;
  if (mode === 'starts_with') return text.startsWith(keyword) && isBoundary(text, keyword.length);
  const head = text.length > MAX_KEYWORD_SEARCH_CHARS + keyword.length ? text.slice(0, MAX_KEYWORD_SEARCH_CHARS + keyword.length) : text;
  for (let at = head.indexOf(keyword); at !== -1; at = head.indexOf(keyword, at + 1)) {
    if (isBoundary(text, at - 1) && isBoundary(text, at + keyword.length)) return true;
  }
  return false;
}
