import type { ChannelStatus } from '../../../engine/channels/channel-kind.ts';

/** How a channel's state reads on the page: a short label, its colour, and what to do, in words. */
export interface ChannelStatusWords {
  label: string;
  color: 'green' | 'blue' | 'yellow' | 'red' | 'gray';
  /** The sentence under the label: what is happening, or what the person should do. */
  advice: string | null;
  /** A "Connect again" button helps (the number is not connected and nothing is under way). */
  canRetry: boolean;
}

/** The cause of a WhatsApp close that connectors/whatsapp/reconnect-policy.ts named, inside the stored reason (`login_not_completed (connection_lost)`, `connection_lost; reconnects paused…`). */
function causeOf(reason: string | null): string | null {
  if (!reason) return null;
  const inner = /\(([a-z_]+)\)/.exec(reason)?.[1];
  return inner ?? /^[a-z_]+/.exec(reason)?.[0] ?? null;
}

const UNREACHABLE =
  "Can't reach WhatsApp's servers from this server: check its internet access (DNS, firewall, proxy), then connect again.";

/**
 * A channel's status and last reason (`statusReason`, as the WhatsApp connector records it) in
 * the words of the person on the Channels page, never `login_not_completed (connection_lost)`.
 */
export function channelStatusWords(channel: { kind: string; status: string; statusReason: string | null }): ChannelStatusWords {
  const status = channel.status as ChannelStatus;
  const reason = channel.statusReason;
  const cause = causeOf(reason);
  if (channel.kind !== 'whatsapp') {
    return status === 'connected'
      ? { label: 'Ready', color: 'green', advice: null, canRetry: false }
      : { label: status.replace('_', ' '), color: 'gray', advice: null, canRetry: false };
  }
  switch (status) {
    case 'connected':
      return { label: 'Connected', color: 'green', advice: null, canRetry: false };
    case 'connecting':
      return {
        label: 'Connecting…',
        color: 'blue',
        advice: 'Reaching WhatsApp. The QR code or pairing code appears here in a few seconds.',
        canRetry: false,
      };
    case 'qr':
      return {
        label: 'Waiting for the scan',
        color: 'blue',
        advice: 'Scan this code in WhatsApp → Linked devices → Link a device. It changes every few seconds: scan the one shown.',
        canRetry: false,
      };
    case 'pairing':
      return {
        label: 'Waiting for the code',
        color: 'blue',
        advice: 'In WhatsApp on the phone: Linked devices → Link a device → Link with phone number instead, then type this code.',
        canRetry: false,
      };
    case 'logged_out':
      if (reason === 'logout_requested')
        return {
          label: 'Logged out',
          color: 'gray',
          advice: 'This number was logged out from here. Connect again to use it.',
          canRetry: true,
        };
      return {
        label: 'Logged out on the phone',
        color: 'red',
        advice: 'This number was logged out on the phone (Linked devices): connect again and scan a new code.',
        canRetry: true,
      };
    case 'conflict':
      return {
        label: 'Opened elsewhere',
        color: 'yellow',
        advice: 'This number was linked again in another place, which took over. Close the other session, then connect again here.',
        canRetry: true,
      };
    case 'restricted':
      return {
        label: 'Restricted by WhatsApp',
        color: 'red',
        advice: 'WhatsApp refused this number, and sending is paused. Check the number in the WhatsApp app before connecting again.',
        canRetry: true,
      };
    case 'disconnected': {
      if (cause === 'network_unreachable') return { label: "Can't reach WhatsApp", color: 'red', advice: UNREACHABLE, canRetry: true };
      if (reason === 'not_connected' || reason === null)
        return {
          label: 'Not connected',
          color: 'gray',
          advice: 'Connect this number: scan a QR code with the phone, or ask for a pairing code.',
          canRetry: true,
        };
      if (reason.startsWith('login_not_completed'))
        return {
          label: 'Login not finished',
          color: 'yellow',
          advice: 'Nobody scanned the code in time. Connect again for a new code.',
          canRetry: true,
        };
      if (reason.includes('circuit open'))
        return {
          label: 'Disconnected',
          color: 'red',
          advice: 'The connection kept failing, so retries are paused for a while. Connect again to try now.',
          canRetry: true,
        };
      return {
        label: 'Reconnecting',
        color: 'yellow',
        advice: 'The connection dropped; it is tried again by itself in a moment. Connect again to try now.',
        canRetry: true,
      };
    }
    default:
      return { label: status, color: 'gray', advice: reason, canRetry: true };
  }
}

/** What a WhatsApp pairing phone must look like: international format with the country code. */
export const PAIRING_PHONE_HINT = 'The full number in international format, with + and the country code: +5511999998888';
