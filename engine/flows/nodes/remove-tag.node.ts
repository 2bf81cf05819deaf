import { z } from 'zod';
import { defineNode, NEXT_PORT } from '../node-definition.ts';
import { TagNameSchema } from './tag-name.ts';

export const RemoveTagConfigSchema = z.strictObject({ tag: TagNameSchema });
export type RemoveTagConfig = z.output<typeof RemoveTagConfigSchema>;

export const removeTagNode = defineNode({
  type: 'remove_tag',
  category: 'action',
  label: 'Remove tag',
  description: 'Removes a tag from the contact (nothing happens if it is not there).',
  configSchema: RemoveTagConfigSchema,
  defaultConfig: { tag: 'lead' },
  waits: false,
  outputs: () => [NEXT_PORT],
});
