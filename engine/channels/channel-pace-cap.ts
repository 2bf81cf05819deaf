import type { ChannelKind } from './channel-kind.ts';
import { whatsappSettingsOf } from './whatsapp-settings.ts';

/**
 * The most messages per minute a channel's own pacing lets out, or null when it sets no limit.
 * WhatsApp: its per-minute cap, and no faster than its minimum gap between messages allows.
 */
export function channelPaceCap(kind: ChannelKind, settings: unknown): number | null {
  if (kind !== 'whatsapp') return null;
  const { pacing } = whatsappSettingsOf(settings);
  const byGap = pacing.minGapMs > 0 ? Math.floor(60_000 / pacing.minGapMs) : pacing.perMinute;
  return Math.max(1, Math.min(pacing.perMinute, byGap));
}
