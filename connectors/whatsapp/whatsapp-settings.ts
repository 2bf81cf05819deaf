import { z } from 'zod';
import { PacingSettingsSchema } from './pacer.ts';

/** A WhatsApp channel's own settings (`channels.settings`). */
export const WhatsappSettingsSchema = z
  .object({
    /** Group messages reach the inbox and flows only when enabled. */
    groupsEnabled: z.boolean().default(false),
    /** A message the owner sends from the phone pauses the bot on that conversation (opt-in: the issue says "if the channel says so"). */
    pauseBotOnOwnerMessage: z.boolean().default(false),
    pacing: PacingSettingsSchema.default(PacingSettingsSchema.parse({})),
  });
export type WhatsappSettings = z.output<typeof WhatsappSettingsSchema>;

/** The settings from the stored JSON; stored settings that no longer validate fall back to the defaults (the API refuses invalid ones when written). */
export function whatsappSettingsOf(stored: unknown): WhatsappSettings {
  const parsed = WhatsappSettingsSchema.safeParse(stored ?? {});
  if (parsed.success) return parsed.data;
  return WhatsappSettingsSchema.parse({});
}
