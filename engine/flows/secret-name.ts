import { z } from 'zod';

/** Longest name of a workspace secret. */
export const MAX_SECRET_NAME_CHARS = 64;

/**
 * A secret's name as written in `{{secrets.NAME}}`: a letter or "_" first, then letters, digits
 * and "_" (an environment-variable style name, so it reads as a name and never as a path).
 * Names are case-sensitive, exactly as written in the template.
 */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const SecretNameSchema = z
  .string()
  .min(1)
  .max(MAX_SECRET_NAME_CHARS)
  .regex(SECRET_NAME, 'use letters, digits and "_", starting with a letter or "_", such as STRIPE_KEY');

/** The template root under which secrets are named: `{{secrets.STRIPE_KEY}}`. */
export const SECRETS_ROOT = 'secrets';
