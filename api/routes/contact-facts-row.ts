import { z } from 'zod';
import type { ContactFacts } from '../../engine/runs/run-types.ts';

/**
 * A contact's facts, as `select id, name, phone, attributes, tags from contacts` reads them: what a
 * template or a canned response is rendered against (the engine's ContactFacts).
 */
export const ContactFactsRow = z.object({
  id: z.string(),
  name: z.string().nullable(),
  phone: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
}) satisfies z.ZodType<ContactFacts>;
