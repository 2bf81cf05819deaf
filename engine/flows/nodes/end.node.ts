import { z } from 'zod';
import { defineNode, NO_PORTS } from '../node-definition.ts';

export const EndConfigSchema = z.strictObject({});
export type EndConfig = z.output<typeof EndConfigSchema>;

export const endNode = defineNode({
  type: 'end',
  category: 'action',
  label: 'End',
  description: 'Ends the run.',
  configSchema: EndConfigSchema,
  defaultConfig: {},
  waits: false,
  outputs: () => NO_PORTS,
});
