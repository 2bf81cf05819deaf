import { z } from 'zod';
import { defineNode, NEXT_PORT } from '../node-definition.ts';

/** Longest message text a flow may send (WhatsApp's practical limit for a single text). */
export const MAX_SEND_TEXT_CHARS = 4_096;

export const SendMessageConfigSchema = z
  .strictObject({
    /**
     * A saved template (its id) to send instead of `text` and `mediaUrl`: the variant of the
     * contact's language. A published version pins the template version current at publish.
     */
    templateId: z.uuid('pick a template').optional(),
    /** Template; the caption when `mediaUrl` is set. */
    text: z.string().max(MAX_SEND_TEXT_CHARS).default(''),
    /** Template of an http(s) URL the connector downloads and sends as media. */
    mediaUrl: z
      .string()
      .max(2_000)
      .regex(/^https?:\/\//i, 'must start with http:// or https://')
      .optional(),
  })
  .refine((c) => c.templateId !== undefined || c.text.trim() !== '' || c.mediaUrl !== undefined, {
    message: 'a message needs text, a media URL or a template',
    path: ['text'],
  });
export type SendMessageConfig = z.output<typeof SendMessageConfigSchema>;

export const sendMessageNode = defineNode({
  type: 'send_message',
  category: 'action',
  label: 'Send message',
  description: 'Sends a text (with {{variables}}) and optionally a media file by URL, or a saved template.',
  configSchema: SendMessageConfigSchema,
  defaultConfig: { text: 'Hi {{contact.name | "there"}}!' },
  waits: false,
  outputs: () => [NEXT_PORT],
  expressions: (config) => ({
    ...(config.templateId === undefined ? {} : { messageTemplates: [{ path: ['templateId'], templateId: config.templateId }] }),
    templates: [
      { path: ['text'], source: config.text },
      ...(config.mediaUrl === undefined ? [] : [{ path: ['mediaUrl'], source: config.mediaUrl }]),
    ],
  }),
});
