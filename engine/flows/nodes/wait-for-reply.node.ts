import { z } from 'zod';
import { DurationSchema } from '../duration.ts';
import { IdentifierSchema } from '../flow-identifiers.ts';
import { defineNode } from '../node-definition.ts';

export const WaitForReplyConfigSchema = z.strictObject({
  timeout: DurationSchema.default({ amount: 24, unit: 'hours' }),
  /** Run variable that receives the reply's text. */
  saveReplyAs: IdentifierSchema.optional(),
});
export type WaitForReplyConfig = z.output<typeof WaitForReplyConfigSchema>;

export const waitForReplyNode = defineNode({
  type: 'wait_for_reply',
  category: 'logic',
  label: 'Wait for reply',
  description: 'Waits for the contact’s next message, or gives up after a timeout.',
  configSchema: WaitForReplyConfigSchema,
  defaultConfig: { timeout: { amount: 24, unit: 'hours' } },
  waits: true,
  outputs: () => [
    { id: 'reply', label: 'Reply' },
    { id: 'timeout', label: 'Timeout' },
  ],
});
