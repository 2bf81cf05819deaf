import { parseTemplate } from './template.ts';

/**
 * Heuristics for a credential typed into a flow as plain text (an `Authorization: Bearer sk_live_…`
 * header). Such a value is stored in the flow document, shown in exports and visible to every
 * member who can read flows, so validation warns and points to `{{secrets.NAME}}`. A warning
 * only: existing flows keep working, and a false positive costs a line in the problems list.
 */

/** Header names whose value is a credential whatever it looks like. */
const CREDENTIAL_HEADER =
  /^(authorization|x-api-key|api-key|apikey|x-auth-token|x-access-token|x-token|token|x-secret|cookie)$|api[-_]?key|secret|token|password/i;
/** `Bearer …`, `Basic …`, `Token …` followed by something that is not a placeholder. */
const AUTH_SCHEME = /\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}/i;
/** Prefixes of well-known API keys (Stripe, Slack, GitHub, AWS, OpenAI-style). */
const KNOWN_PREFIX =
  /\b(sk|rk|pk)_(live|test)_[A-Za-z0-9]{8,}|\bxox[abprs]-[A-Za-z0-9-]{8,}|\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}|\bAKIA[0-9A-Z]{16}\b|\bsk-[A-Za-z0-9_-]{20,}/;
/** `api_key=…`, `access_token=…` in a query string or form body. */
const KEY_PARAMETER = /\b(api[-_]?key|apikey|access[-_]?token|auth[-_]?token|token|secret|password|key)=[^&\s]{8,}/i;
/** A long run of token characters (slashes and dots excluded, so paths and hosts are not tokens). */
const LONG_TOKEN = /[A-Za-z0-9_+=-]{32,}/g;
/** Bits per character above which a long token is taken for random (English and ids stay below). */
const RANDOM_TOKEN_BITS_PER_CHAR = 3.5;
/** Shortest literal value under a credential header that is taken for a credential ("Bearer " alone is not). */
const MIN_HEADER_CREDENTIAL_CHARS = 8;

/** The literal text of a template: placeholders (values, secrets) removed. */
function literalText(source: string): string {
  const parsed = parseTemplate(source, { allowSecrets: true });
  if (!parsed.ok) return source;
  return parsed.template.parts.map((p) => (p.kind === 'text' ? p.text : ' ')).join('');
}

function bitsPerChar(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length);
  return bits;
}

function looksRandom(token: string): boolean {
  return /[a-z]/.test(token) && /[A-Z]/.test(token) && /[0-9]/.test(token) && bitsPerChar(token) >= RANDOM_TOKEN_BITS_PER_CHAR;
}

/**
 * Why `value` (a template sent to an outside system) looks like it holds a credential in plain
 * text, or null. `headerName` is set for a header's value.
 */
export function credentialHint(value: string, headerName?: string): string | null {
  const literal = literalText(value);
  const scheme = literal.replace(/^\s*(bearer|basic|token)\s*/i, '').trim();
  if (headerName !== undefined && CREDENTIAL_HEADER.test(headerName) && scheme.length >= MIN_HEADER_CREDENTIAL_CHARS)
    return `the ${headerName} header holds a credential`;
  if (AUTH_SCHEME.test(literal)) return 'it holds an authorization credential';
  if (KNOWN_PREFIX.test(literal)) return 'it holds what looks like an API key';
  if (KEY_PARAMETER.test(literal)) return 'it holds a key or token parameter';
  for (const token of literal.match(LONG_TOKEN) ?? []) if (looksRandom(token)) return 'it holds a long random token';
  return null;
}
