import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { Channel, FlowDetail, Message, Page, RunDetail, RunSummary } from '../api/api-types.ts';
import type { RunPath } from '../pages/flow-editor-page.tsx';
import { messageOf } from '../error-message.ts';
import { useSession } from '../session/session-context.tsx';
import { runPathOf } from './run-path.ts';
import { useInterval } from './use-interval.ts';
import { ErrorAlert } from '../error-alert.tsx';

/** How often the chat asks for new bot messages and the run's progress. */
const POLL_INTERVAL_MS = 700;

/** A test contact's phone for this browser tab: fixed while testing, so wait-for-reply flows see the same contact. */
function testPhone(flowId: string): string {
  const key = `onemessage.testPhone.${flowId}`;
  let phone = sessionStorage.getItem(key);
  if (!phone) {
    phone = `+1555${String(Math.floor(Math.random() * 10_000_000)).padStart(7, '0')}`;
    sessionStorage.setItem(key, phone);
  }
  return phone;
}

/**
 * Talks to the published flow through a sandbox channel, as a contact would: messages go in
 * through the sandbox inbound route, the bot's replies are polled from the conversation, and
 * the run's path is drawn on the canvas as it advances.
 */
export function TestChatPanel({ flow, onPath }: { flow: FlowDetail; onPath: (path: RunPath | null) => void }) {
  const id = useId();
  const { api } = useSession();
  const [channel, setChannel] = useState<Channel | null | undefined>(undefined);
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [phone, setPhone] = useState(() => testPhone(flow.id));
  const lastPathKey = useRef('');
  const log = useRef<HTMLOListElement>(null);

  const loadChannel = useCallback(async () => {
    const { items } = await api.get<{ items: Channel[] }>('/channels');
    setChannel(items.find((c) => c.kind === 'sandbox') ?? null);
  }, [api]);
  useEffect(() => {
    loadChannel().catch((err: unknown) => setError(messageOf(err)));
  }, [loadChannel]);

  useInterval(
    async () => {
      if (!conversationId) return;
      const page = await api.get<Page<Message>>(`/conversations/${conversationId}/messages?limit=200`);
      setMessages((old) => (old.length === page.items.length && old.at(-1)?.status === page.items.at(-1)?.status ? old : page.items));
      const runs = await api.get<Page<RunSummary>>(`/flows/${flow.id}/runs?limit=10`);
      const latest = runs.items.find((r) => r.conversationId === conversationId);
      if (!latest) return;
      const key = `${latest.id}:${latest.stepCount}:${latest.status}`;
      if (key === lastPathKey.current) return;
      lastPathKey.current = key;
      onPath(runPathOf(await api.get<RunDetail>(`/runs/${latest.id}`)));
    },
    POLL_INTERVAL_MS,
    conversationId !== null,
  );

  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView({ block: 'nearest' });
  }, [messages]);

  async function send(event: FormEvent) {
    event.preventDefault();
    if (!channel || !text.trim()) return;
    setError(null);
    try {
      const accepted = await api.post<{ conversationId: string }>(`/channels/${channel.id}/sandbox/inbound`, { from: phone, text, name: 'Test contact' });
      setConversationId(accepted.conversationId);
      setText('');
      setMessages((old) => [...old, { id: `local-${Date.now()}`, direction: 'inbound', sender: 'contact', text, status: 'received', createdAt: new Date().toISOString() }]);
    } catch (err) {
      setError(messageOf(err));
    }
  }

  async function createSandbox() {
    try {
      await api.post('/channels', { kind: 'sandbox', name: 'Test chat' });
      await loadChannel();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  function restart() {
    sessionStorage.removeItem(`onemessage.testPhone.${flow.id}`);
    setPhone(testPhone(flow.id));
    setConversationId(null);
    setMessages([]);
    lastPathKey.current = '';
    onPath(null);
  }

  return (
    <section aria-labelledby={`${id}-title`} className="test-chat">
      <h2 id={`${id}-title`}>Test chat</h2>
      {flow.publishedVersion === null ? (
        <p className="hint">Publish the flow first: the test chat talks to the published version.</p>
      ) : (
        <p className="hint">Talks to published version v{flow.publishedVersion} as {phone}. Publish again to test newer changes.</p>
      )}
      {channel === null && (
        <p>
          No sandbox channel yet.{' '}
          <button type="button" onClick={() => void createSandbox()}>
            Create a sandbox channel
          </button>
        </p>
      )}
      <ol className="chat-log" ref={log} role="log" aria-live="polite" aria-label="Conversation">
        {messages.map((m) => (
          <li key={m.id} className={`bubble ${m.direction}`}>
            <span className="visually-hidden">{m.direction === 'inbound' ? 'You:' : 'Bot:'}</span> {m.text ?? `(${m.status})`}
            {m.reactions?.length ? <span className="reactions" aria-label={`Reactions: ${m.reactions.map((r) => r.emoji).join(' ')}`}> {m.reactions.map((r) => r.emoji).join('')}</span> : null}
          </li>
        ))}
      </ol>
      <ErrorAlert message={error} />
      <form onSubmit={(e) => void send(e)} className="row">
        <label htmlFor={`${id}-text`} className="visually-hidden">
          Message as the test contact
        </label>
        <input id={`${id}-text`} value={text} onChange={(e) => setText(e.target.value)} placeholder="Type as the contact…" disabled={!channel} />
        <button type="submit" disabled={!channel || !text.trim()}>
          Send
        </button>
      </form>
      <button type="button" className="link" onClick={restart}>
        Start over as a new contact
      </button>
    </section>
  );
}
