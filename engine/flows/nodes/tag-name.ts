import { z } from 'zod';

/** A contact tag as people type it ("lead", "VIP 2025"); compared as stored. */
export const TagNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[^,\n\r\t]+$/, 'may not contain commas, tabs or line breaks');
