import { z } from 'zod';
import { findNodeDefinition } from '../../../engine/flows/node-catalog.ts';

/** The part of JSON Schema that `z.toJSONSchema` produces for the node configs. */
export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: readonly unknown[];
  const?: unknown;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
}

const CACHE = new Map<string, JsonSchema | null>();

/**
 * The JSON Schema of a node kind's config, derived from the engine's zod schema (the single
 * source of truth), as the input side: defaults are optional there, which is what a form edits.
 */
export function configJsonSchema(kind: string): JsonSchema | null {
  if (!CACHE.has(kind)) {
    const definition = findNodeDefinition(kind);
    CACHE.set(kind, definition ? (z.toJSONSchema(definition.configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema) : null);
  }
  return CACHE.get(kind)!;
}

/** True for a reference to any JSON value: json-logic rules and free JSON bodies. */
export function isJsonValue(schema: JsonSchema): boolean {
  return schema.$ref !== undefined;
}

/** True for the engine's `{ amount, unit }` duration. */
export function isDuration(schema: JsonSchema): boolean {
  return schema.type === 'object' && schema.properties?.amount !== undefined && schema.properties.unit?.enum !== undefined;
}

/** The property that tells the variants of a `oneOf` apart (every variant has it as a const), if any. */
export function discriminatorOf(schema: JsonSchema): string | null {
  const variants = schema.oneOf;
  if (!variants || variants.length === 0) return null;
  const first = variants[0]!.properties ?? {};
  for (const key of Object.keys(first)) {
    if (variants.every((v) => v.properties?.[key]?.const !== undefined)) return key;
  }
  return null;
}

/** A value that satisfies the shape of `schema` as far as it can by itself: defaults, consts, first choices. */
export function defaultFor(schema: JsonSchema): unknown {
  if (schema.default !== undefined) return structuredClone(schema.default);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.oneOf?.[0]) return defaultFor(schema.oneOf[0]);
  if (schema.anyOf?.[0]) return defaultFor(schema.anyOf[0]);
  switch (schema.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const key of schema.required ?? []) out[key] = defaultFor(schema.properties?.[key] ?? {});
      return out;
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => defaultFor(schema.items ?? {}));
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0);
    case 'boolean':
      return false;
    case 'string':
      return '';
    default:
      return null;
  }
}

/** "firstMessageOnly" → "First message only". */
export function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
