import { z } from 'zod';
import { SecretNameSchema } from '../../engine/flows/secret-name.ts';
import { MIN_SECRET_VALUE_CHARS } from '../../engine/runs/secret-scrub.ts';
import type { SecretSummary } from '../../platform/secrets/workspace-secrets.ts';

/** Longest secret value (a long JWT or a PEM-less API token fits; a file does not). */
export const MAX_SECRET_VALUE_CHARS = 4_096;

const SPACE_CODE = 0x20;
const DELETE_CODE = 0x7f;

/**
 * A secret's value as sent once by an admin: one line (it goes into headers and URLs, where a
 * line break would split the request), at least 8 characters (shorter values cannot be
 * scrubbed from responses reliably).
 */
export const SecretValueInput = z
  .string()
  .min(MIN_SECRET_VALUE_CHARS, `a secret has at least ${MIN_SECRET_VALUE_CHARS} characters`)
  .max(MAX_SECRET_VALUE_CHARS)
  .refine(
    (v) => [...v].every((ch) => ch.charCodeAt(0) >= SPACE_CODE && ch.charCodeAt(0) !== DELETE_CODE),
    'a secret is one line of text, without control characters',
  );

export const SecretNameInput = SecretNameSchema;

/** A secret as the API shows it: its name and the last 4 characters of its value, never the value. */
export const SecretDto = z.object({
  id: z.uuid(),
  name: z.string(),
  last4: z.string(),
  createdBy: z.object({ id: z.uuid(), name: z.string() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export function toSecretDto(s: SecretSummary): z.infer<typeof SecretDto> {
  return {
    id: s.id,
    name: s.name,
    last4: s.last4,
    createdBy: s.createdBy,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}
