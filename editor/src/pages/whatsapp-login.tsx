import { useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '../api/api-client.ts';
import type { Channel } from '../api/api-types.ts';
import { useSession } from '../session/session-context.tsx';
import { messageOf } from '../error-message.ts';
import { readServerEvents } from './sse-events.ts';
import { ErrorAlert } from '../error-alert.tsx';

/**
 * Logging a WhatsApp number in: starts the connection (QR, or a pairing code for a phone) and
 * shows the live QR, pairing code and status from the channel's server-sent events.
 */
/** The QR as an image URL; the library is loaded only when a QR arrives. */
async function renderQr(data: string): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  return QRCode.toDataURL(data, { margin: 1, width: 256 });
}

export function WhatsAppLogin({ channel }: { channel: Channel }) {
  const { api } = useSession();
  const [qr, setQr] = useState<string | null>(null);
  const [pairingCode, setPairingCode] = useState<string | null>(null);
  const [status, setStatus] = useState(channel.status);
  const [reason, setReason] = useState(channel.statusReason ?? null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    (async () => {
      const res = await api.stream(`/channels/${channel.id}/events`, abort.signal);
      if (res.status === 404) {
        setError('Live login events are not available on this server yet (GET /api/v1/channels/:id/events answered 404). The channel status below is refreshed when you reload the page.');
        return;
      }
      if (!res.ok) {
        setError(`The server answered ${res.status} to the live events request.`);
        return;
      }
      await readServerEvents(res, ({ data }) => {
        // The API's ChannelEvent: { type: 'status', status, reason } | { type: 'qr', qr } | { type: 'pairing_code', code }.
        const d = (data ?? {}) as { type?: unknown; qr?: unknown; code?: unknown; status?: unknown; reason?: unknown };
        if (d.type === 'qr' && typeof d.qr === 'string') void renderQr(d.qr).then(setQr);
        if (d.type === 'pairing_code' && typeof d.code === 'string') setPairingCode(d.code);
        if (d.type === 'status' && typeof d.status === 'string') {
          setStatus(d.status);
          setReason(typeof d.reason === 'string' ? d.reason : null);
          if (d.status !== 'qr') setQr(null);
          if (d.status !== 'pairing') setPairingCode(null);
        }
      });
    })().catch((err: unknown) => {
      if ((err as Error).name !== 'AbortError') setError(messageOf(err));
    });
    return () => abort.abort();
  }, [api, channel.id]);

  async function connect(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const phone = String(new FormData(event.currentTarget).get('pairingPhone') ?? '').trim();
    setError(null);
    try {
      await api.post(`/channels/${channel.id}/connect`, phone ? { pairingPhone: phone } : {});
    } catch (err) {
      setError(err instanceof ApiError && err.status === 404 ? 'This server cannot connect WhatsApp numbers yet (the connect route answered 404).' : messageOf(err));
    }
  }

  return (
    <div className="whatsapp-login">
      <p role="status">
        Status: <strong data-channel-status={status}>{status}</strong>
        {reason && <span className="muted"> ({reason})</span>}
      </p>
      <form onSubmit={(e) => void connect(e)} className="row">
        <label className="inline">
          Phone for a pairing code (optional)
          <input name="pairingPhone" placeholder="+15551234567" />
        </label>
        <button type="submit">Connect</button>
        <button type="button" className="secondary" onClick={() => void api.post(`/channels/${channel.id}/logout`).catch((err: unknown) => setError(messageOf(err)))}>
          Log this number out
        </button>
      </form>
      {qr && <img src={qr} alt="QR code: in WhatsApp, open Linked devices and scan it" width={256} height={256} />}
      {pairingCode && (
        <p>
          Pairing code: <strong className="code">{pairingCode}</strong> (in WhatsApp: Linked devices → Link with phone number)
        </p>
      )}
      <ErrorAlert message={error} />
    </div>
  );
}
