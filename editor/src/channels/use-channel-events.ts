import { useEffect, useState } from 'react';
import type { Channel } from '../api/api-types.ts';
import { readServerEvents } from '../api/sse-events.ts';
import { messageOf } from '../error-message.ts';
import { useSession } from '../session/session-context.tsx';

/** A WhatsApp channel's live login state: its status and reason, the current QR (as an image URL) and pairing code. */
export interface ChannelLiveState {
  status: string;
  statusReason: string | null;
  qrImage: string | null;
  pairingCode: string | null;
  /** The event stream could not be opened or broke (in words). */
  streamError: string | null;
}

/** The QR as an image URL; the library is loaded only when a QR arrives. */
async function renderQr(data: string): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  return QRCode.toDataURL(data, { margin: 1, width: 256 });
}

/**
 * Follows a WhatsApp channel's server-sent events (GET /channels/:id/events: status changes, the
 * rotating QR, the pairing code). The first event is the current status, so the state is right
 * from the start; a new status clears a QR or code that no longer applies.
 */
export function useChannelEvents(channel: Channel): ChannelLiveState {
  const { api } = useSession();
  const [state, setState] = useState<ChannelLiveState>({
    status: channel.status,
    statusReason: channel.statusReason,
    qrImage: null,
    pairingCode: null,
    streamError: null,
  });

  useEffect(() => {
    if (channel.kind !== 'whatsapp') return;
    const abort = new AbortController();
    (async () => {
      const res = await api.stream(`/channels/${channel.id}/events`, abort.signal);
      if (!res.ok) {
        setState((s) => ({
          ...s,
          streamError: `Live updates are not available (the server answered ${res.status}). Reload the page to see the latest state.`,
        }));
        return;
      }
      await readServerEvents(res, ({ data }) => {
        // The API's ChannelEvent: { type: 'status', status, reason } | { type: 'qr', qr } | { type: 'pairing_code', code }.
        const d = (data ?? {}) as { type?: unknown; qr?: unknown; code?: unknown; status?: unknown; reason?: unknown };
        if (d.type === 'qr' && typeof d.qr === 'string') void renderQr(d.qr).then((qrImage) => setState((s) => ({ ...s, qrImage })));
        if (d.type === 'pairing_code' && typeof d.code === 'string') {
          const pairingCode = d.code;
          setState((s) => ({ ...s, pairingCode }));
        }
        if (d.type === 'status' && typeof d.status === 'string') {
          const status = d.status;
          const statusReason = typeof d.reason === 'string' ? d.reason : null;
          setState((s) => ({
            ...s,
            status,
            statusReason,
            qrImage: status === 'qr' ? s.qrImage : null,
            pairingCode: status === 'pairing' ? s.pairingCode : null,
          }));
        }
      });
    })().catch((err: unknown) => {
      if ((err as Error).name !== 'AbortError') setState((s) => ({ ...s, streamError: messageOf(err) }));
    });
    return () => abort.abort();
  }, [api, channel.id, channel.kind]);
  return state;
}
