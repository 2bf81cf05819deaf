/** Keys whose values are secrets: never written to run steps. */
const SECRET_KEY = /authorization|api[-_]?key|token|secret|password|passwd|cookie|signature/i;
export const REDACTED = '[redacted]';

/**
 * A copy of `value` with secrets replaced: values under secret-looking keys, and the `value` of
 * `{ name, value }` pairs (HTTP headers) whose name looks secret.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const record = value as Record<string, unknown>;
  const headerPair = typeof record.name === 'string' && 'value' in record && SECRET_KEY.test(record.name);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    out[k] = (headerPair && k === 'value') || (SECRET_KEY.test(k) && typeof v !== 'object') ? REDACTED : redactSecrets(v, depth + 1);
  }
  return out;
}
