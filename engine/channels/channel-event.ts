import { z } from 'zod';

/** What the editor sees live about a channel's login: the rotating QR, a pairing code, status changes. */
export const ChannelEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('status'), status: z.string(), reason: z.string().nullable(), at: z.string() }),
  z.object({ type: z.literal('qr'), qr: z.string(), at: z.string() }),
  z.object({ type: z.literal('pairing_code'), code: z.string(), at: z.string() }),
]);
export type ChannelEvent = z.infer<typeof ChannelEventSchema>;
