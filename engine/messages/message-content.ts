import { z } from 'zod';

/** Message types the platform understands; connectors map provider kinds onto these. */
export const MESSAGE_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'document',
  'sticker',
  'location',
  'contact',
  'reaction',
  'poll',
  'view_once',
  'unsupported',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Where a media file lives (our media store or a URL), and what it is. */
export const MediaRefSchema = z.object({
  url: z.url().optional(),
  storageKey: z.string().max(500).optional(),
  mimeType: z.string().max(200).optional(),
  sizeBytes: z.number().int().nonnegative().optional(),
  fileName: z.string().max(500).optional(),
  caption: z.string().max(4096).optional(),
});
export type MediaRef = z.infer<typeof MediaRefSchema>;

/** Longest text body we accept (WhatsApp's own limit is 65,536 characters). */
export const MAX_TEXT_CHARS = 65_536;
