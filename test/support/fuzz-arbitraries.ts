import fc from 'fast-check';
import { z } from 'zod';

/*
 * Arbitraries for fuzzing outside input: values drawn from a zod schema (through its JSON Schema),
 * and any JSON value with a few of its paths removed or replaced (a truncated or garbled body).
 */

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  default?: unknown;
};

/** Values that mostly satisfy `schema` (zod's refinements are not in JSON Schema, so not all do). */
export function fromZod(schema: z.ZodType): fc.Arbitrary<unknown> {
  const json = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as JsonSchema;
  return fromJsonSchema(json, json.$defs ?? {}, 0);
}

function fromJsonSchema(s: JsonSchema, defs: Record<string, JsonSchema>, depth: number): fc.Arbitrary<unknown> {
  if (depth > 6) return fc.constant(null);
  if (s.$ref) {
    const def = defs[s.$ref.replace('#/$defs/', '')];
    return def ? fromJsonSchema(def, defs, depth + 1) : fc.jsonValue();
  }
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => fromJsonSchema(a, defs, depth + 1)));
  if (s.allOf?.length) return fromJsonSchema(Object.assign({}, ...s.allOf) as JsonSchema, defs, depth + 1);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      return stringOf(s);
    case 'integer':
    case 'number': {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1_000_000);
      const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1_000_000);
      const lo = Math.max(min, -Number.MAX_SAFE_INTEGER);
      const hi = Math.min(Math.max(max, lo), Number.MAX_SAFE_INTEGER);
      return type === 'integer' ? fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) }) : fc.double({ min: lo, max: hi, noNaN: true });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(s.items ? fromJsonSchema(s.items, defs, depth + 1) : fc.jsonValue(), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 4, Math.max(s.minItems ?? 0, 4)),
      });
    case 'object': {
      const props = s.properties ?? {};
      const keys = Object.keys(props);
      if (keys.length === 0) return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
      return fc.record(Object.fromEntries(keys.map((k) => [k, fromJsonSchema(props[k]!, defs, depth + 1)])), {
        requiredKeys: (s.required ?? []).filter((k) => keys.includes(k)),
      });
    }
    default:
      return fc.jsonValue({ maxDepth: 3 });
  }
}

function stringOf(s: JsonSchema): fc.Arbitrary<string> {
  switch (s.format) {
    case 'email':
      return fc.emailAddress();
    case 'uuid':
      return fc.uuid();
    case 'date-time':
      return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
    case 'uri':
    case 'url':
      return fc.webUrl();
  }
  const min = s.minLength ?? 0;
  const max = Math.max(min, Math.min(s.maxLength ?? 40, 300));
  return fc.oneof(
    fc.string({ minLength: min, maxLength: max }),
    fc.string({ unit: 'grapheme', minLength: min, maxLength: max }),
    fc.constantFrom('+15551234567', 'hi', 'sandbox', 'webhook', 'whatsapp', 'owner', 'agent', '{{contact.name}}'),
  );
}

/** Every path into a JSON value. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (!value || typeof value !== 'object') return [prefix];
  return [prefix, ...Object.keys(value).flatMap((k) => pathsOf((value as Record<string, unknown>)[k], [...prefix, k]))];
}

/** A key an array can take as an element: a number, or a string of digits (`Object.keys` gives those). */
function isArrayIndex(key: string | number): boolean {
  return typeof key === 'number' || /^\d+$/.test(key);
}

function mutateAt(value: unknown, path: (string | number)[], replacement: unknown, remove: boolean): unknown {
  if (path.length === 0) return remove ? undefined : replacement;
  const [head, ...rest] = path;
  // An array given a key that is not an index (an added key such as `length`) becomes an object with
  // its elements: setting `length` to a nasty value would throw here instead of reaching the API.
  const copy =
    Array.isArray(value) && isArrayIndex(head!)
      ? [...value]
      : value && typeof value === 'object'
        ? { ...(value as Record<string, unknown>) }
        : {};
  if (rest.length === 0 && remove) delete (copy as Record<string | number, unknown>)[head!];
  else
    (copy as Record<string | number, unknown>)[head!] = mutateAt(
      (copy as Record<string | number, unknown>)[head!],
      rest,
      replacement,
      remove,
    );
  return copy;
}

/** Replacement values that break types and limits: wrong types, huge strings, deep nesting, odd numbers. */
const nasty = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(
      null,
      '',
      ' ',
      0,
      -1,
      1e308,
      -0,
      true,
      [],
      {},
      '__proto__',
      'constructor',
      '\u0000',
      '😀'.repeat(50),
      'a'.repeat(70_000),
      '../../etc/passwd',
      "'; drop table x; --",
      '{{',
      '}}',
    ),
    fc.integer({ min: 1, max: 40 }).map((n) => JSON.parse('['.repeat(n) + ']'.repeat(n)) as unknown),
    fc.double(),
  );

/** `base`'s values with up to four paths removed or replaced by a nasty value (or a key added). */
export function mutated(base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      base,
      fc.array(fc.tuple(fc.nat(), nasty(), fc.constantFrom('replace', 'remove', 'add')), { minLength: 1, maxLength: 4 }),
      fc.string({ minLength: 1, maxLength: 12 }),
    )
    .map(([value, changes, extraKey]) => {
      let v = value;
      for (const [at, replacement, how] of changes) {
        const paths = pathsOf(v);
        const path = paths[at % paths.length]!;
        v = how === 'add' ? mutateAt(v, [...path, extraKey], replacement, false) : mutateAt(v, path, replacement, how === 'remove');
      }
      return v;
    });
}

/** Valid-looking values of `schema`, half of them mutated. */
export function bodiesOf(schema: z.ZodType): fc.Arbitrary<unknown> {
  const valid = fromZod(schema);
  return fc.oneof(valid, mutated(valid));
}
