import { z } from 'zod';
import { defineNode, NEXT_PORT } from '../node-definition.ts';
import { TagNameSchema } from './tag-name.ts';

export const AddTagConfigSchema = z.strictObject({ tag: TagNameSchema });
export type AddTagConfig = z.output<typeof AddTagConfigSchema>;

export const addTagNode = defineNode({
  type: 'add_tag',
  category: 'action',
  label: 'Add tag',
  description: 'Adds a tag to the contact (nothing happens if it is already there).',
  configSchema: AddTagConfigSchema,
  defaultConfig: { tag: 'lead' },
  waits: false,
  outputs: () => [NEXT_PORT],
});
