import { z } from 'zod';

/** An email as accounts and invitations store it: lower-cased. */
export const Email = z
  .email()
  .max(254)
  .transform((e) => e.toLowerCase());
/** A new password: long enough to resist guessing, short enough that hashing stays bounded. */
export const Password = z.string().min(8, 'use at least 8 characters').max(200);
/** A person's display name. */
export const PersonName = z.string().trim().min(1).max(200);
