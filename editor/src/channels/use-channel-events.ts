import { useEffect, useState } from 'react';
import { ChannelEventSchema } from '../../../engine/channels/channel-event.ts';
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
        // Read with the schema the connector publishes (engine/channels/channel-event.ts); anything else is ignored.
        const parsed = ChannelEventSchema.safeParse(data);
        if (!parsed.success) return;
        const event = parsed.data;
        if (event.type === 'qr') void renderQr(event.qr).then((qrImage) => setState((s) => ({ ...s, qrImage })));
        if (event.type === 'pairing_code') setState((s) => ({ ...s, pairingCode: event.code }));
        if (event.type === 'status') {
          const { status, reason: statusReason } = event;
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
