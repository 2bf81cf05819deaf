import { z } from 'zod';
import { defineNode, NEXT_PORT } from '../node-definition.ts';

/** Longest message text a flow may send (WhatsApp's practical limit for a single text). */
export const MAX_SEND_TEXT_CHARS = 4_096;

export const SendMessageConfigSchema = z
  .strictObject({
    /** Template; the caption when `mediaUrl` is set. */
    text: z.string().max(MAX_SEND_TEXT_CHARS).default(''),
    /** Template of an http(s) URL the connector downloads and sends as media. */
    mediaUrl: z
      .string()
      .max(2_000)
      .regex(/^https?:\/\//i, 'must start with http:// or https://')
      .optional(),
  })
  .refine((c) => c.text.trim() !== '' || c.mediaUrl !== undefined, { message: 'a message needs text or a media URL', path: ['text'] });
export type SendMessageConfig = z.output<typeof SendMessageConfigSchema>;

export const sendMessageNode = defineNode({
  type: 'send_message',
  category: 'action',
  label: 'Send message',
  description: 'Sends a text (with {{variables}}) and optionally a media file by URL.',
  configSchema: SendMessageConfigSchema,
  defaultConfig: { text: 'Hi {{contact.name | "there"}}!' },
  waits: false,
  outputs: () => [NEXT_PORT],
  expressions: (config) => ({
    templates: [{ path: ['text'], source: config.text }, ...(config.mediaUrl === undefined ? [] : [{ path: ['mediaUrl'], source: config.mediaUrl }])],
  }),
});
