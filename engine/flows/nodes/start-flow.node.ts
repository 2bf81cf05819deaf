import { z } from 'zod';
import { defineNode, NO_PORTS } from '../node-definition.ts';

export const StartFlowConfigSchema = z.strictObject({ flowId: z.uuid() });
export type StartFlowConfig = z.output<typeof StartFlowConfigSchema>;

export const startFlowNode = defineNode({
  type: 'start_flow',
  category: 'action',
  label: 'Start another flow',
  description: 'Ends this run and starts the published version of another flow for the same contact.',
  configSchema: StartFlowConfigSchema,
  // Empty on purpose: the node stays invalid until the user picks a flow.
  defaultConfig: { flowId: '' },
  waits: false,
  // One run per conversation at a time: this run hands over and ends.
  outputs: () => NO_PORTS,
});
