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

/**
 * A media reference as stored in a row: the same fields, without the input rules (a URL's form,
 * maximum lengths). A row written before a rule changed, or by a connector that took a provider's
 * longer caption, must still load: reading it is not the place to refuse it.
 */
export const StoredMediaSchema = z.object({
  url: z.string().optional(),
  storageKey: z.string().optional(),
  mimeType: z.string().optional(),
  sizeBytes: z.number().optional(),
  fileName: z.string().optional(),
  caption: z.string().optional(),
}) satisfies z.ZodType<MediaRef>;

/** Longest text body we accept (WhatsApp's own limit is 65,536 characters). */
export const MAX_TEXT_CHARS = 65_536;
