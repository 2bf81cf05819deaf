import { z } from 'zod';

/** Path segments that lead to an object's prototype; no path in a flow may use them. */
export const FORBIDDEN_PATH_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** True when a property name would reach a prototype if used as a path segment. */
export function isForbiddenPathSegment(segment: string): boolean {
  return FORBIDDEN_PATH_SEGMENTS.has(segment);
}

/** Longest id of a node, an edge, a port, a switch case or an A/B branch. */
export const MAX_ELEMENT_ID_CHARS = 64;
const ELEMENT_ID = /^[A-Za-z0-9_-]+$/;

/**
 * Id of a node, edge, port, switch case or A/B branch: letters, digits, `_` and `-`, so that it
 * is safe in a URL, a BullMQ job id and a CSS selector of the editor.
 */
export const ElementIdSchema = z
  .string()
  .min(1)
  .max(MAX_ELEMENT_ID_CHARS)
  .regex(ELEMENT_ID, 'may contain only letters, digits, "_" and "-"')
  .refine((id) => !isForbiddenPathSegment(id), 'is a reserved name');

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Longest run variable name or contact attribute key. */
export const MAX_IDENTIFIER_CHARS = 64;

/** A name a template or a json-logic `var` can reach: a run variable or a contact attribute key. */
export const IdentifierSchema = z
  .string()
  .min(1)
  .max(MAX_IDENTIFIER_CHARS)
  .regex(IDENTIFIER, 'must start with a letter or "_" and contain only letters, digits and "_"')
  .refine((name) => !isForbiddenPathSegment(name), 'is a reserved name');
