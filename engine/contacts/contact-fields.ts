import { z } from 'zod';

/*
 * What a contact's tags and attributes may hold, wherever they are written: the API, the
 * editor, a CSV import.
 */

/** Separator of a CSV cell listing several tags ("vip, lead" or "vip; lead"). */
export const TAG_LIST_SEPARATOR = /[,;]/;
export const TAG_PATTERN = /^[\p{L}\p{N} _:-]+$/u;
export const MAX_TAG_CHARS = 64;
export const MAX_TAGS = 100;
export const TagSchema = z.string().trim().min(1).max(MAX_TAG_CHARS).regex(TAG_PATTERN, 'letters, digits, space, _ : - only');

/** Attribute names become template variables (`{{contact.plan}}`), so they stay simple. */
export const ATTRIBUTE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const AttributeNameSchema = z
  .string()
  .regex(ATTRIBUTE_NAME_PATTERN, 'an attribute name is a letter or _ then up to 63 letters, digits or _');
export const MAX_ATTRIBUTE_VALUE_CHARS = 2_000;
export const AttributeValueSchema = z.union([z.string().max(MAX_ATTRIBUTE_VALUE_CHARS), z.number(), z.boolean(), z.null()]);
export const MAX_ATTRIBUTES = 100;
export const MAX_NAME_CHARS = 200;
