import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../api/api-client.ts';
import type { FlowDetail, FlowDocumentJson, Message, Page, RunDetail, RunSummary } from '../api/api-types.ts';
import type { DraftSaver } from '../canvas/use-draft-saver.ts';
import { messageOf } from '../error-message.ts';
import { useSession } from '../session/session-context.tsx';
import { runPathOf, type RunPath } from './run-path.ts';
import { useInterval } from './use-interval.ts';
import { ErrorAlert } from '../error-alert.tsx';

/** How often the chat asks for new bot messages and the run's progress. */
const POLL_INTERVAL_MS = 700;

type Target = 'draft' | 'published';

interface TestMessageAnswer {
  messageId: string;
  conversationId: string;
  contactId: string;
  contactPhone: string;
  testing: string;
}

const contactKey = (flowId: string) => `onemessage.testContact.${flowId}`;

/** The test contact of this tab and flow (kept while testing, so that a flow waiting for a reply sees the same contact). */
function storedContact(flowId: string): { id: string; phone: string } | null {
  try {
    return JSON.parse(sessionStorage.getItem(contactKey(flowId)) ?? 'null') as { id: string; phone: string } | null;
  } catch {
    return null;
  }
}

/** What a refused test message means for the person testing, in words. */
function refusalOf(err: unknown): string {
  if (err instanceof ApiError && err.code === 'flow_invalid') return 'The draft has problems, so it cannot run yet: fix them (Problems tab), or test the published version.';
  if (err instanceof ApiError && err.code === 'flow_not_published') return 'This flow has no published version yet: test the draft.';
  return messageOf(err);
}

/**
 * Talks to THIS flow as a test contact, through the workspace's sandbox channel: the draft as it
 * is now (before publishing, like a preview), or the published version. Only this flow's
 * triggers are tried; a message that starts nothing says why. The test contact is marked as one:
 * it never counts in broadcast audiences or analytics. The path of the run that the last message
 * started or resumed is drawn on the canvas; each new message clears the previous one.
 */
export function TestChatPanel({ flow, saver, onPath }: { flow: FlowDetail; document: () => FlowDocumentJson; saver: DraftSaver; onPath: (path: RunPath | null) => void }) {
  const id = useId();
  const { api } = useSession();
  const [target, setTarget] = useState<Target>('draft');
  const [contact, setContact] = useState(() => storedContact(flow.id));
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [noSandbox, setNoSandbox] = useState(false);
  const [testing, setTesting] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  /** The last message sent: only a run it started or moved on is drawn. */
  const lastSent = useRef<string | null>(null);
  const lastPathKey = useRef('');
  const log = useRef<HTMLOListElement>(null);

  useInterval(
    async () => {
      if (!conversationId) return;
      const page = await api.get<Page<Message>>(`/conversations/${conversationId}/messages?limit=200`);
      const shown = [...page.items].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
      setMessages((old) => (old.length === shown.length && old.at(-1)?.status === shown.at(-1)?.status && old.at(-1)?.outcome?.code === shown.at(-1)?.outcome?.code && !old.some((m) => m.id.startsWith('local-')) ? old : shown));
      const sent = shown.find((m) => m.id === lastSent.current);
      if (!sent) return;
      const runs = await api.get<Page<RunSummary>>(`/flows/${flow.id}/runs?limit=10`);
      // A run this message started or resumed has moved since it arrived; an older run is not its path.
      const latest = runs.items.find((r) => r.conversationId === conversationId && r.updatedAt >= sent.createdAt);
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
    const typed = text.trim();
    if (!typed || sending) return;
    setError(null);
    setSending(true);
    // Each message starts a new path: the previous one is cleared at once, and no poll draws it again.
    lastSent.current = null;
    onPath(null);
    lastPathKey.current = '';
    try {
      // The server runs the draft it has: the edits of the last moments are saved first.
      if (target === 'draft') await saver.flush();
      const answer = await api.post<TestMessageAnswer>(`/flows/${flow.id}/test-chat/messages`, { text: typed, target, ...(contact ? { contactId: contact.id } : {}), clientMessageId: crypto.randomUUID() });
      const next = { id: answer.contactId, phone: answer.contactPhone };
      sessionStorage.setItem(contactKey(flow.id), JSON.stringify(next));
      setContact(next);
      setTesting(answer.testing);
      lastSent.current = answer.messageId;
      setConversationId(answer.conversationId);
      setText('');
      setMessages((old) => [...old, { id: `local-${answer.messageId}`, direction: 'inbound', sender: 'contact', text: typed, status: 'received', createdAt: new Date().toISOString() }]);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'no_sandbox_channel') setNoSandbox(true);
      else if (err instanceof ApiError && err.code === 'not_found' && contact) {
        // The stored test contact is gone (another workspace, erased): the next message starts a new one.
        sessionStorage.removeItem(contactKey(flow.id));
        setContact(null);
        setError('The test contact was not found: send again to start with a new one.');
      } else setError(refusalOf(err));
    } finally {
      setSending(false);
    }
  }

  const createSandbox = useCallback(async () => {
    try {
      await api.post('/channels', { kind: 'sandbox', name: 'Test chat' });
      setNoSandbox(false);
    } catch (err) {
      setError(messageOf(err));
    }
  }, [api]);

  function restart() {
    sessionStorage.removeItem(contactKey(flow.id));
    setContact(null);
    setConversationId(null);
    setMessages([]);
    setTesting(null);
    lastSent.current = null;
    lastPathKey.current = '';
    onPath(null);
  }

  return (
    <section aria-labelledby={`${id}-title`} className="test-chat">
      <h2 id={`${id}-title`}>Test chat</h2>
      <fieldset className="segmented" aria-label="Which version to test">
        <label>
          <input type="radio" name={`${id}-target`} value="draft" checked={target === 'draft'} onChange={() => setTarget('draft')} /> Draft (not published)
        </label>
        <label>
          <input type="radio" name={`${id}-target`} value="published" checked={target === 'published'} onChange={() => setTarget('published')} disabled={flow.publishedVersion === null} /> Published
          {flow.publishedVersion !== null ? ` v${flow.publishedVersion}` : ''}
        </label>
      </fieldset>
      <p className="hint">
        {target === 'draft' ? 'Runs the draft as it is now, before you publish it. ' : 'Runs the version your contacts get. '}
        Only this flow answers here. {contact ? `You write as the test contact ${contact.phone}.` : 'You write as a new test contact.'} Test contacts never count in broadcasts or analytics.
      </p>
      {noSandbox && (
        <p>
          The test chat needs a sandbox channel.{' '}
          <button type="button" onClick={() => void createSandbox()}>
            Create a sandbox channel
          </button>
        </p>
      )}
      <ol className="chat-log" ref={log} role="log" aria-live="polite" aria-label="Conversation">
        {messages.map((m) => (
          <li key={m.id} className="chat-entry">
            <div className={`bubble ${m.direction}`}>
              <span className="visually-hidden">{m.direction === 'inbound' ? 'You:' : 'Bot:'}</span> {m.text ?? `(${m.status})`}
              {m.reactions?.length ? <span className="reactions" aria-label={`Reactions: ${m.reactions.map((r) => r.emoji).join(' ')}`}> {m.reactions.map((r) => r.emoji).join('')}</span> : null}
            </div>
            {m.outcome?.explanation && (
              <p className="chat-note" role="note">
                {m.outcome.explanation}
              </p>
            )}
          </li>
        ))}
      </ol>
      {testing && <p className="muted small">Last message ran the {testing}.</p>}
      <ErrorAlert message={error} />
      <form onSubmit={(e) => void send(e)} className="chat-form">
        <label htmlFor={`${id}-text`} className="visually-hidden">
          Message as the test contact
        </label>
        <input id={`${id}-text`} value={text} onChange={(e) => setText(e.target.value)} placeholder="Type as the contact…" />
        <button type="submit" disabled={!text.trim() || sending}>
          Send
        </button>
      </form>
      <button type="button" className="link" onClick={restart}>
        Start over as a new contact
      </button>
    </section>
  );
}
