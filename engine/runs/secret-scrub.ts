/**
 * Removes resolved secret values from what a step keeps (its output, the response it stores in a
 * run variable, an error message). The step's input keeps the template (`{{secrets.NAME}}`), so
 * the value could only come back through what the other side sent or said: a response echoing
 * the `Authorization` header, an error quoting the URL. Each value is replaced by a marker that
 * names the secret, in the forms it may take in text (as is, URL-encoded, JSON-escaped, base64).
 * URL-encoded has three spellings: encodeURIComponent's (how the URL is rendered), the URL
 * parser's (which also writes `'` as %27 in a query: the form an error quoting the URL shows)
 * and a form body's (URLSearchParams: spaces as `+`, and more characters escaped).
 */

/** What a removed secret value reads as. */
export function secretMarker(name: string): string {
  return `[secret ${name}]`;
}

/** Secrets shorter than this are refused at creation: a 3-character value cannot be scrubbed from text without mangling it. */
export const MIN_SECRET_VALUE_CHARS = 8;

interface Needle {
  text: string;
  marker: string;
}

function needlesOf(secrets: ReadonlyMap<string, string>): Needle[] {
  const needles: Needle[] = [];
  for (const [name, value] of secrets) {
    if (value.length === 0) continue;
    const uriComponent = encodeURIComponent(value);
    const forms = new Set([
      value,
      uriComponent,
      uriComponent.replace(/'/g, '%27'),
      new URLSearchParams([['', value]]).toString().slice('='.length),
      JSON.stringify(value).slice(1, -1),
      Buffer.from(value, 'utf8').toString('base64'),
    ]);
    for (const text of forms) needles.push({ text, marker: secretMarker(name) });
  }
  // Longest first: a value that contains another secret's value is replaced whole.
  return needles.sort((a, b) => b.text.length - a.text.length);
}

function scrubText(text: string, needles: readonly Needle[]): string {
  let out = text;
  for (const { text: needle, marker } of needles) if (out.includes(needle)) out = out.split(needle).join(marker);
  return out;
}

function scrubValue(value: unknown, needles: readonly Needle[], depth: number): unknown {
  if (typeof value === 'string') return scrubText(value, needles);
  // Deeper than any response the HTTP client accepts; stops a hostile structure, never hides a secret: the rest is dropped.
  if (depth > 64) return null;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, needles, depth + 1));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [scrubText(k, needles), scrubValue(v, needles, depth + 1)]));
  }
  return value;
}

/** A copy of `value` with every resolved secret value (in its usual encodings) replaced by its marker. */
export function scrubSecrets<T>(value: T, secrets: ReadonlyMap<string, string>): T {
  if (secrets.size === 0) return value;
  return scrubValue(value, needlesOf(secrets), 0) as T;
}
