import { z } from 'zod';
import { defineNode, NO_PORTS } from '../node-definition.ts';

export const OptOutConfigSchema = z.strictObject({});
export type OptOutConfig = z.output<typeof OptOutConfigSchema>;

export const optOutNode = defineNode({
  type: 'opt_out',
  category: 'action',
  label: 'Opt out',
  description: 'Marks the contact as opted out of automated messages. Ends the run; send any confirmation before it.',
  configSchema: OptOutConfigSchema,
  defaultConfig: {},
  waits: false,
  // An opted-out contact receives nothing automated, so nothing may follow.
  outputs: () => NO_PORTS,
});
