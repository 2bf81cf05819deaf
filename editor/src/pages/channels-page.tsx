import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { Channel } from '../api/api-types.ts';
import { useSession } from '../session/session-context.tsx';
import { messageOf } from '../error-message.ts';
import { WhatsAppLogin } from './whatsapp-login.tsx';
import { ErrorAlert } from '../error-alert.tsx';

const KINDS = [
  { kind: 'sandbox', label: 'Sandbox (test chat, no phone)' },
  { kind: 'whatsapp', label: 'WhatsApp number' },
  { kind: 'webhook', label: 'Webhook (any other service over HTTP)' },
] as const;

/** The workspace's channels: list, add, and log WhatsApp numbers in. */
export function ChannelsPage() {
  const { api } = useSession();
  const [channels, setChannels] = useState<Channel[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loginFor, setLoginFor] = useState<string | null>(null);
  const [kind, setKind] = useState<string>('sandbox');
  const [secret, setSecret] = useState<{ channel: string; value: string } | null>(null);

  const load = useCallback(async () => {
    try {
      setChannels((await api.get<{ items: Channel[] }>('/channels')).items);
    } catch (err) {
      setError(messageOf(err));
    }
  }, [api]);
  useEffect(() => {
    void load();
  }, [load]);

  async function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError(null);
    try {
      const url = String(form.get('url') ?? '').trim();
      const created = await api.post<Channel & { webhookSecret?: string }>('/channels', { kind, name: String(form.get('name') ?? '').trim(), ...(kind === 'webhook' ? { url } : {}) });
      if (created.kind === 'whatsapp') setLoginFor(created.id);
      // The webhook's signing secret is in this answer only: shown until dismissed, never stored.
      if (created.webhookSecret) setSecret({ channel: created.name, value: created.webhookSecret });
      await load();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <section aria-labelledby="channels-title">
      <h1 id="channels-title">Channels</h1>
      <form onSubmit={(e) => void add(e)} className="inline-form card">
        <label className="inline">
          Kind
          <select name="kind" value={kind} onChange={(e) => setKind(e.target.value)}>
            {KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
        <label className="inline">
          Name
          <input name="name" required maxLength={100} placeholder="Support line" />
        </label>
        {kind === 'webhook' && (
          <label className="inline">
            Outbound URL
            <input name="url" type="url" required placeholder="https://example.com/onemessage" />
          </label>
        )}
        <button type="submit">Add channel</button>
      </form>
      {secret && (
        <div className="banner info" role="status">
          Signing secret of “{secret.channel}” (shown once, copy it now): <code className="code">{secret.value}</code>{' '}
          <button type="button" className="link" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      )}
      <ErrorAlert message={error} />
      {channels?.length === 0 && <p>No channels yet.</p>}
      <ul className="channels">
        {channels?.map((c) => (
          <li key={c.id} className="card">
            <strong>{c.name}</strong> · {c.kind} · <span className={`status ${c.status}`}>{c.status}</span>
            {c.statusReason && <span className="muted"> ({c.statusReason})</span>}
            {c.displayIdentifier && <span className="muted"> · {c.displayIdentifier}</span>}
            {c.kind === 'whatsapp' && (
              <button type="button" className="secondary" onClick={() => setLoginFor(loginFor === c.id ? null : c.id)} aria-expanded={loginFor === c.id}>
                {loginFor === c.id ? 'Hide login' : 'Log in / QR'}
              </button>
            )}
            {loginFor === c.id && <WhatsAppLogin channel={c} />}
          </li>
        ))}
      </ul>
    </section>
  );
}
