import type { KeywordMode } from './nodes/message-received.node.ts';

/**
 * Text normalisation shared by keyword triggers and global keywords: Unicode NFC, surrounding
 * whitespace trimmed, inner whitespace runs collapsed to one space.
 */
export function normaliseText(text: string): string {
  return text.normalize('NFC').trim().replace(/\s+/gu, ' ');
}

/** Removes closing punctuation people add to a one-word reply ("Hi!", "stop."). */
export function stripTrailingPunctuation(text: string): string {
  return text.replace(/[\s.!?¡¿,;:…]+$/u, '');
}

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
 * ignores closing punctuation, so "hi" matches "Hi!" when case-insensitive.
 */
export function keywordMatches(mode: KeywordMode, text: string, keyword: string): boolean {
  if (mode === 'exact') return text === keyword || stripTrailingPunctuation(text) === keyword;
  if (mode === 'starts_with') return text.startsWith(keyword) && isBoundary(text, keyword.length);
  for (let at = text.indexOf(keyword); at !== -1; at = text.indexOf(keyword, at + 1)) {
    if (isBoundary(text, at - 1) && isBoundary(text, at + keyword.length)) return true;
  }
  return false;
}
