import { z } from 'zod';

/**
 * How one number sends. The defaults stay well below the rates at which WhatsApp is known to
 * restrict new or unwarmed numbers; a channel may set its own under `settings.pacing`.
 */
export const PacingSettingsSchema = z
  .object({
    minGapMs: z.number().int().min(0).max(600_000).default(4_000),
    jitterMs: z.number().int().min(0).max(600_000).default(3_000),
    perMinute: z.number().int().min(1).max(1_000).default(10),
    perHour: z.number().int().min(1).max(50_000).default(200),
    perDay: z.number().int().min(1).max(500_000).default(1_000),
    /** Typing shown before a text, per character, between typingMinMs and typingMaxMs. */
    typingMsPerChar: z.number().int().min(0).max(1_000).default(35),
    typingMinMs: z.number().int().min(0).max(60_000).default(600),
    typingMaxMs: z.number().int().min(0).max(60_000).default(6_000),
  })
  .strict();
export type PacingSettings = z.output<typeof PacingSettingsSchema>;
export const DEFAULT_PACING: PacingSettings = PacingSettingsSchema.parse({});

/** A WhatsApp channel's own settings (`channels.settings`). */
export const WhatsappSettingsSchema = z.object({
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
