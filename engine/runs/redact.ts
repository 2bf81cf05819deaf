/**
 * Keys whose values are secrets: never written to run steps, never shown by the API, never
 * logged (platform/logger.ts). The one list: a key is secret if any part of it matches.
 */
const SECRET_KEY = /authorization|api[-_]?key|token|secret|password|passwd|cookie|signature/i;
export const REDACTED = '[redacted]';
/**
 * Deeper than any step record the runtime writes. A value nested deeper is replaced whole: it is
 * neither walked (a hostile structure costs nothing) nor kept as it is (it could hold a secret).
 */
export const MAX_REDACT_DEPTH = 32;

/** Whether the record is a `{ name, value }` pair (an HTTP header) whose name looks secret. */
function isSecretHeader(record: Record<string, unknown>): boolean {
  return typeof record.name === 'string' && SECRET_KEY.test(record.name);
}

/**
 * A copy of `value` with secrets replaced: whole values under secret-looking keys, and the
 * `value` of `{ name, value }` pairs (HTTP headers) whose name looks secret.
 *
 * One function for both passes: the runtime redacts what it writes to a step, and the API redacts
 * again what it shows (api/dto/run.dto.ts), so that rows written by an older or buggy writer
 * cannot leak through it either.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_REDACT_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const record = value as Record<string, unknown>;
  const secretHeader = isSecretHeader(record);
  // fromEntries: a `__proto__` key of parsed JSON stays an own property instead of setting the prototype.
  return Object.fromEntries(
    Object.entries(record).map(([key, v]) => [
      key,
      SECRET_KEY.test(key) || (secretHeader && key === 'value') ? REDACTED : redactSecrets(v, depth + 1),
    ]),
  );
}

/**
 * Whether `redactSecrets(value)` would replace anything: the same walk, allocating nothing, for a
 * hot path (a log line) where almost every value holds no secret and a copy would be waste.
 */
export function containsSecrets(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth >= MAX_REDACT_DEPTH) return true;
  // A Buffer or typed array: its keys are indices, none of them a secret key; walking them costs per byte.
  if (ArrayBuffer.isView(value)) return false;
  if (Array.isArray(value)) {
    for (const v of value) if (containsSecrets(v, depth + 1)) return true;
    return false;
  }
  const record = value as Record<string, unknown>;
  const secretHeader = isSecretHeader(record);
  // for…in with hasOwn: the own enumerable string keys, as Object.entries in redactSecrets.
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    if (SECRET_KEY.test(key) || (secretHeader && key === 'value')) return true;
    if (containsSecrets(record[key], depth + 1)) return true;
  }
  return false;
}
