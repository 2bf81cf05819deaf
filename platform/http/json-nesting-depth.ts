/**
 * Most levels of arrays and objects one inside another that a JSON request body may have.
 * Parsing is not the danger (V8's JSON.parse does not recurse), but everything after it does:
 * zod, the json-logic walk, structuredClone, Postgres' jsonb input; a 30,000-level body overflowed
 * the stack inside validation. What legitimately nests deepest is a flow document's json-logic
 * condition: validation allows MAX_JSONLOGIC_DEPTH (32) operator levels, each at most two JSON
 * levels (`{"and": [...]}`), under about six levels of envelope (body, document, nodes, node,
 * config, rule): about 70. The examples in examples/flows reach 8. 128 leaves room for that and
 * stays far below any stack limit.
 */
export const MAX_JSON_BODY_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * True when the UTF-8 JSON text `bytes` opens more than `maxDepth` arrays or objects one inside
 * another. One pass, no recursion, no allocation; it stops at the first level past the limit.
 * Brackets inside strings do not count (a backslash escapes the next byte, so `\"` does not end
 * one). UTF-8 continuation bytes are all >= 0x80, so they never look like these characters.
 * Malformed text is not judged here: JSON.parse refuses it afterwards.
 */
export function jsonNestsDeeperThan(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      if (++depth > maxDepth) return true;
    } else if ((byte === CLOSE_BRACKET || byte === CLOSE_BRACE) && depth > 0) {
      depth--;
    }
  }
  return false;
}
