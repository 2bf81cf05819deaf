import { z } from 'zod';
import { defineNode, NO_PORTS } from '../node-definition.ts';

export const HandOffConfigSchema = z.strictObject({
  teamId: z.uuid().optional(),
  agentId: z.uuid().optional(),
  /** Shown to the agent in the inbox. */
  note: z.string().max(500).optional(),
});
export type HandOffConfig = z.output<typeof HandOffConfigSchema>;

export const handOffNode = defineNode({
  type: 'hand_off',
  category: 'action',
  label: 'Hand off to human',
  description: 'Pauses the bot on this conversation and puts it in the inbox, optionally for a team or an agent. Ends the run.',
  configSchema: HandOffConfigSchema,
  defaultConfig: {},
  waits: false,
  // The bot is paused from here on, so nothing automated may follow: the run ends.
  outputs: () => NO_PORTS,
});
