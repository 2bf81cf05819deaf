import { describe, expect, it } from 'vitest';
import { channelStatusWords } from './channel-status-words.ts';

const whatsapp = (status: string, statusReason: string | null) => channelStatusWords({ kind: 'whatsapp', status, statusReason });

describe('when a WhatsApp channel shows its state', () => {
  it('says the server cannot reach WhatsApp when the socket failed (ENOTFOUND…), during login or after it', () => {
    expect(whatsapp('disconnected', 'network_unreachable')).toMatchObject({ label: "Can't reach WhatsApp", canRetry: true });
    expect(whatsapp('disconnected', 'login_not_completed (network_unreachable)').advice).toMatch(
      /^Can't reach WhatsApp's servers from this server: check its internet access/,
    );
    expect(whatsapp('disconnected', 'network_unreachable; reconnects paused (circuit open)').label).toBe("Can't reach WhatsApp");
  });

  it('tells a logout on the phone from one asked here', () => {
    expect(whatsapp('logged_out', 'logged_out').advice).toMatch(/logged out on the phone/);
    expect(whatsapp('logged_out', 'logout_requested').label).toBe('Logged out');
  });

  it('says where to scan a QR code, and never shows a reason code', () => {
    expect(whatsapp('qr', null).advice).toMatch(/^Scan this code in WhatsApp → Linked devices/);
    for (const [status, reason] of [
      ['disconnected', 'login_not_completed (connection_lost)'],
      ['disconnected', 'connection_lost'],
      ['conflict', 'connection_replaced'],
      ['restricted', 'forbidden'],
    ] as const) {
      const words = whatsapp(status, reason);
      expect(`${words.label} ${words.advice}`).not.toMatch(/_/);
    }
  });
});
