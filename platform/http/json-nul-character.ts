/*
 * PostgreSQL stores the NUL character (\u0000) in no text or jsonb column: a JSON body holding one
 * would fail at its first insert. Bodies are checked once parsed, and refused with the path.
 */

/** Where the first NUL character is in a parsed body (a key or a string value), or null. Call it after the nesting depth was checked (the walk recurses). */
export function nulPath(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (value === null || typeof value !== 'object') return null;
  for (const [key, child] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (key.includes('\u0000')) return at;
    const found = nulPath(child, at);
    if (found !== null) return found;
  }
  return null;
}
