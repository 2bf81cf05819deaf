import { z } from 'zod';
import { defineNode, NEXT_PORT } from '../node-definition.ts';

export const OptInConfigSchema = z.strictObject({});
export type OptInConfig = z.output<typeof OptInConfigSchema>;

export const optInNode = defineNode({
  type: 'opt_in',
  category: 'action',
  label: 'Opt in',
  description: 'Marks the contact as opted in to automated messages again.',
  configSchema: OptInConfigSchema,
  defaultConfig: {},
  waits: false,
  outputs: () => [NEXT_PORT],
});
