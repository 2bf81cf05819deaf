import { z } from 'zod';
import { IdentifierSchema } from '../flow-identifiers.ts';
import { defineNode, NEXT_PORT } from '../node-definition.ts';

export const SetContactAttributeConfigSchema = z.strictObject({
  key: IdentifierSchema,
  /** Template; the rendered text is stored. */
  value: z.string().max(1_000),
});
export type SetContactAttributeConfig = z.output<typeof SetContactAttributeConfigSchema>;

export const setContactAttributeNode = defineNode({
  type: 'set_contact_attribute',
  category: 'action',
  label: 'Set contact attribute',
  description: 'Stores a value (with {{variables}}) in one of the contact’s attributes.',
  configSchema: SetContactAttributeConfigSchema,
  defaultConfig: { key: 'source', value: 'whatsapp' },
  waits: false,
  outputs: () => [NEXT_PORT],
  expressions: (config) => ({ templates: [{ path: ['value'], source: config.value }] }),
});
