import { describe, expect, it } from 'vitest';
import { channelPaceCap } from './channel-pace-cap.ts';

describe('channelPaceCap', () => {
  it('gives a WhatsApp number its per-minute cap, or less when its minimum gap allows fewer', () => {
    // Defaults: 10 per minute, a 4 s gap (15 per minute): the cap wins.
    expect(channelPaceCap('whatsapp', {})).toBe(10);
    // A 10 s gap allows 6 per minute, under a cap of 30.
    expect(channelPaceCap('whatsapp', { pacing: { perMinute: 30, minGapMs: 10_000 } })).toBe(6);
  });

  it('sets no cap for channels without a pace of their own', () => {
    expect(channelPaceCap('sandbox', {})).toBeNull();
    expect(channelPaceCap('webhook', {})).toBeNull();
  });
});
