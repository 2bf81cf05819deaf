import { z } from 'zod';
import { defineNode, NEXT_PORT } from '../node-definition.ts';

// The URL token is a secret: the API generates and stores it with the flow, never in the document
// (documents are exported as JSON and shown in the editor).
export const InboundWebhookConfigSchema = z.strictObject({});
export type InboundWebhookConfig = z.output<typeof InboundWebhookConfigSchema>;

export const inboundWebhookNode = defineNode({
  type: 'inbound_webhook',
  category: 'trigger',
  label: 'Inbound webhook',
  description: 'Starts the flow when its webhook URL receives a POST; the JSON body is available as {{trigger.…}}.',
  configSchema: InboundWebhookConfigSchema,
  defaultConfig: {},
  waits: false,
  outputs: () => [NEXT_PORT],
});
