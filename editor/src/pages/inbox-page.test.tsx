// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Contact, ConversationListItem, Team, TimelineItem } from '../api/api-types.ts';
import { renderInApp } from '../test-support/render-in-app.tsx';
import { InboxPage } from './inbox-page.tsx';

const ME = '0196a3f0-0000-7000-8000-0000000000a1';
const TEAM: Team = {
  id: '0196a3f0-0000-7000-8000-0000000000b1',
  name: 'Support',
  strategy: 'manual',
  sticky: false,
  defaultCapacity: 5,
  isDefault: true,
  handoffTimeoutSeconds: null,
  handoffTimeoutMessage: null,
  autoResolveHours: null,
  members: [{ userId: ME, capacity: null }],
  createdAt: '',
  updatedAt: '',
};
const CONTACT: Contact = {
  id: '0196a3f0-0000-7000-8000-0000000000c1',
  phone: '+15550001111',
  name: 'Ada Lovelace',
  attributes: { plan: 'gold' },
  tags: ['vip'],
  optedOut: true,
  restricted: false,
  legalHold: false,
  erased: false,
  createdAt: '',
  lastSeenAt: null,
};
const CONVERSATION: ConversationListItem = {
  id: '0196a3f0-0000-7000-8000-0000000000d1',
  channelId: '0196a3f0-0000-7000-8000-0000000000e1',
  contactId: CONTACT.id,
  status: 'pending',
  state: 'queued',
  stateChangedAt: '2026-12-06T09:58:00.000Z',
  assigneeUserId: null,
  teamId: TEAM.id,
  botPaused: true,
  queuedAt: '2026-12-06T09:58:00.000Z',
  snoozedUntil: null,
  handoffNote: 'wants a refund',
  lastMessageAt: '2026-12-06T09:58:00.000Z',
  createdAt: '2026-12-06T09:50:00.000Z',
  contact: { name: 'Ada Lovelace', phone: '+15550001111' },
  lastMessage: {
    excerpt: 'Passing you to a person',
    type: 'text',
    direction: 'outbound',
    sender: 'bot',
    authorUserId: null,
    at: '2026-12-06T09:57:40.000Z',
  },
  unreadCount: 3,
};
const FLOW_ID = '0196a3f0-0000-7000-8000-0000000000f1';
const TIMELINE: TimelineItem[] = [
  {
    kind: 'message',
    at: '2026-12-06T09:57:00.000Z',
    id: '0196a3f0-0000-7000-8000-000000000101',
    direction: 'inbound',
    sender: 'contact',
    authorUserId: null,
    type: 'text',
    text: 'I want my money back',
    media: null,
    status: 'received',
    reactions: [{ emoji: '👍', fromUs: true, at: null }],
  },
  {
    kind: 'run',
    at: '2026-12-06T09:57:01.000Z',
    id: '0196a3f0-0000-7000-8000-000000000102',
    flowId: FLOW_ID,
    status: 'completed',
    endedAt: '2026-12-06T09:57:02.000Z',
  },
  {
    kind: 'message',
    at: '2026-12-06T09:57:30.000Z',
    id: '0196a3f0-0000-7000-8000-000000000103',
    direction: 'inbound',
    sender: 'contact',
    authorUserId: null,
    type: 'image',
    text: null,
    media: {
      url: '/api/v1/conversations/x/messages/y/media',
      mimeType: 'image/jpeg',
      caption: 'my receipt',
      fileName: null,
      sizeBytes: 52_000,
    },
    status: 'received',
    reactions: [],
  },
  {
    kind: 'message',
    at: '2026-12-06T09:57:35.000Z',
    id: '0196a3f0-0000-7000-8000-000000000106',
    direction: 'inbound',
    sender: 'contact',
    authorUserId: null,
    type: 'image',
    text: null,
    media: { url: null, mimeType: 'image/jpeg', fileName: 'elsewhere.jpg', caption: null, sizeBytes: null },
    status: 'received',
    reactions: [],
  },
  {
    kind: 'message',
    at: '2026-12-06T09:57:40.000Z',
    id: '0196a3f0-0000-7000-8000-000000000104',
    direction: 'outbound',
    sender: 'bot',
    authorUserId: null,
    type: 'text',
    text: 'Passing you to a person',
    media: null,
    status: 'read',
    reactions: [],
  },
  {
    kind: 'event',
    at: '2026-12-06T09:58:00.000Z',
    id: '0196a3f0-0000-7000-8000-000000000105',
    actorKind: 'flow',
    actorUserId: null,
    fromState: 'bot',
    toState: 'queued',
    fromAssigneeUserId: null,
    toAssigneeUserId: null,
    teamId: TEAM.id,
    reason: 'handed off by a flow: wants a refund',
  },
];

/** The EventSource the page opens, driven by the test. */
class FakeEventSource {
  static CLOSED = 2;
  static last: FakeEventSource | null = null;
  static opened = 0;
  readyState = 1;
  onerror: (() => void) | null = null;
  private listeners = new Map<string, ((e: { data: string }) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.last = this;
    FakeEventSource.opened++;
  }
  addEventListener(type: string, fn: (e: { data: string }) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  emit(type: string, data: unknown) {
    for (const fn of this.listeners.get(type) ?? []) fn({ data: JSON.stringify(data) });
  }
  close() {
    this.readyState = 2;
  }
}

/** The API as the inbox sees it; `state` is the conversation as the server has it now. */
function fakeApi(role: string) {
  const calls: { method: string; path: string; body: unknown }[] = [];
  let conversation = { ...CONVERSATION };
  let queue = [conversation];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const path = url.replace('/api/v1', '');
    const method = init?.method ?? 'GET';
    calls.push({ method, path, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    const json = (body: unknown, status = 200) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (path === '/auth/me')
      return json({ user: { id: ME, email: 'me@example.com', name: 'Me' }, workspace: { id: 'w', name: 'W' }, role, workspaces: [] });
    if (path === '/members')
      return json({ items: [{ id: 'm', userId: ME, email: 'me@example.com', name: 'Mia Agent', role, createdAt: '' }] });
    if (path === '/teams') return json({ items: [TEAM] });
    if (path.startsWith('/conversations?')) {
      const params = new URLSearchParams(path.split('?')[1]);
      if (params.get('state') === 'queued') return json({ items: queue.filter((c) => c.state === 'queued'), nextCursor: null });
      if (params.get('assignee') === 'me') return json({ items: queue.filter((c) => c.assigneeUserId === ME), nextCursor: null });
      if (params.get('contactId')) return json({ items: queue, nextCursor: null });
      return json({ items: queue.filter((c) => c.assigneeUserId === null), nextCursor: null });
    }
    if (path === `/conversations/${CONVERSATION.id}`) return json(conversation);
    if (path === `/conversations/${CONVERSATION.id}/timeline`) return json({ items: TIMELINE });
    if (path.startsWith(`/conversations/${CONVERSATION.id}/messages?`))
      return json({
        items: [
          {
            id: TIMELINE[0]!.id,
            conversationId: CONVERSATION.id,
            direction: 'inbound',
            sender: 'contact',
            authorUserId: null,
            type: 'text',
            text: 'I want my money back',
            media: null,
            status: 'received',
            statusTimes: {},
            failureReason: null,
            providerMessageId: null,
            reactions: [],
            createdAt: '',
          },
        ],
        nextCursor: null,
      });
    if (path === `/conversations/${CONVERSATION.id}/take` && method === 'POST') {
      conversation = { ...conversation, state: 'assigned', assigneeUserId: ME };
      queue = [conversation];
      return json(conversation);
    }
    if (path === `/conversations/${CONVERSATION.id}/messages` && method === 'POST') return json({ messageId: 'x', created: true }, 201);
    if (path === `/conversations/${CONVERSATION.id}/read` && method === 'PUT') {
      conversation = { ...conversation, unreadCount: 0 };
      queue = [conversation];
      return json({ conversationId: CONVERSATION.id, lastReadMessageId: TIMELINE[4]!.id, readAt: '', unreadCount: 0 });
    }
    if (path === `/contacts/${CONTACT.id}`) return json(CONTACT);
    if (path === `/flows/${FLOW_ID}`) return json({ id: FLOW_ID, name: 'Support bot' });
    if (path === '/canned-responses')
      return json({
        items: [
          {
            id: 'c1',
            shortcut: 'refund',
            title: 'Refund policy',
            text: 'Hi {{contact.name}}, refunds take 5 days.',
            createdAt: '',
            updatedAt: '',
          },
        ],
      });
    if (path === '/canned-responses/c1/render') return json({ text: 'Hi Ada Lovelace, refunds take 5 days.' });
    if (path === '/me/availability') return json({ availability: 'online', connected: true, load: 0, lastSeenAt: null });
    return json({ error: { code: 'not_found', message: `no route ${path}` } }, 404);
  });
  return {
    fetch,
    calls,
    arrive: (c: ConversationListItem) => {
      queue = [c, ...queue];
    },
  };
}

const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 20)));

async function openInbox(role: string, path = '/inbox?tab=queue', conversationId?: string) {
  const api = fakeApi(role);
  vi.stubGlobal('fetch', api.fetch);
  const app = renderInApp(<InboxPage conversationId={conversationId} />, { path });
  for (let i = 0; i < 5; i++) await settle();
  return { api, app };
}

/** A laptop-wide window: the list, the conversation and the contact side by side. */
function wideWindow() {
  window.matchMedia = (query: string) =>
    ({
      matches: query.includes('min-width'),
      media: query,
      onchange: null,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      addListener: () => undefined,
      removeListener: () => undefined,
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

beforeEach(() => {
  wideWindow();
  localStorage.clear();
  FakeEventSource.last = null;
  FakeEventSource.opened = 0;
  vi.stubGlobal('EventSource', FakeEventSource);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('the inbox page', () => {
  it('offers an agent Mine, Team queue and Unassigned, and a supervisor All as well', async () => {
    await openInbox('agent');
    expect(screen.getAllByRole('tab').map((t) => t.textContent?.replace(/\d+$/, ''))).toEqual(['Mine', 'Team queue', 'Unassigned']);
    cleanup();
    await openInbox('admin');
    expect(screen.getAllByRole('tab').map((t) => t.textContent?.replace(/\d+$/, ''))).toEqual(['Mine', 'Team queue', 'Unassigned', 'All']);
  });

  it('lists the waiting contact by name with the last message, how long they wait, their unread messages and the hand-off note; the tab counts it as unread', async () => {
    await openInbox('agent');
    const list = screen.getByRole('list', { name: 'Conversations' });
    const row = within(list).getByRole('button', { name: /Ada Lovelace, 3 unread, Waiting/ });
    expect(row.textContent).toContain('wants a refund');
    expect(row.textContent).toContain('Bot: Passing you to a person');
    expect(row.textContent).toContain('waiting ');
    expect(row.querySelector('[data-unread]')?.textContent).toBe('3');
    expect(within(screen.getByRole('tab', { name: /Team queue/ })).getByLabelText('1 unread')).toBeTruthy();
  });

  it('shows the whole history: messages, the photo, the bot, reactions, the state change, the run, the contact card and the hand-off note', async () => {
    await openInbox('agent', `/inbox/${CONVERSATION.id}?tab=queue`, CONVERSATION.id);
    const history = screen.getByRole('log', { name: 'Conversation history' });
    expect(history.textContent).toContain('I want my money back');
    expect((within(history).getByRole('img', { name: 'my receipt' }) as HTMLImageElement).getAttribute('src')).toBe(
      '/api/v1/conversations/x/messages/y/media',
    );
    // A file this server does not hold is named, not loaded.
    expect(within(history).queryByRole('img', { name: /elsewhere/ })).toBeNull();
    expect(history.textContent).toContain('Photo: elsewhere.jpg (image/jpeg)');
    expect(history.textContent).toContain('not kept on this server');
    expect(history.textContent).toContain('Passing you to a person');
    expect(history.textContent).toContain('Read');
    expect(within(history).getByLabelText('Reactions: 👍')).toBeTruthy();
    expect(history.textContent).toContain('handed off by a flow: wants a refund');
    expect(history.textContent).toContain('Support bot');
    expect(screen.getByText('wants a refund', { selector: '.mantine-Alert-message' })).toBeTruthy();
    const contact = screen.getByRole('region', { name: 'Contact' });
    expect(contact.textContent).toContain('Opted out');
    expect(within(contact).getByLabelText('Tags').textContent).toBe('vip');
    expect(within(contact).getByLabelText('Attributes').textContent).toContain('gold');
    expect(contact.textContent).toContain('How it got here');
  });

  it('marks the open conversation read on the server', async () => {
    const { api } = await openInbox('agent', `/inbox/${CONVERSATION.id}?tab=queue`, CONVERSATION.id);
    expect(api.calls.some((c) => c.method === 'PUT' && c.path === `/conversations/${CONVERSATION.id}/read`)).toBe(true);
  });

  it('takes the conversation: the API is asked, and the buttons become those of its owner', async () => {
    const { api } = await openInbox('agent', `/inbox/${CONVERSATION.id}?tab=queue`, CONVERSATION.id);
    fireEvent.click(screen.getByRole('button', { name: 'Take' }));
    for (let i = 0; i < 3; i++) await settle();
    expect(api.calls.some((c) => c.method === 'POST' && c.path === `/conversations/${CONVERSATION.id}/take`)).toBe(true);
    expect(screen.getByTestId('conversation-state').getAttribute('data-state')).toBe('assigned');
    expect(screen.queryByRole('button', { name: 'Take' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Resolve' })).toBeTruthy();
  });

  it('fills a quick reply picked with / and sends the reply once', async () => {
    const { api } = await openInbox('agent', `/inbox/${CONVERSATION.id}?tab=queue`, CONVERSATION.id);
    const box = screen.getByRole('textbox', { name: 'Reply to the contact' }) as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: '/ref', selectionStart: 4 } });
    await settle();
    const options = screen.getByRole('listbox', { name: 'Quick replies' });
    expect(within(options).getByRole('option').textContent).toContain('/refund');
    fireEvent.keyDown(box, { key: 'Enter' });
    for (let i = 0; i < 3; i++) await settle();
    expect(box.value).toBe('Hi Ada Lovelace, refunds take 5 days.');
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    for (let i = 0; i < 3; i++) await settle();
    const sends = api.calls.filter((c) => c.method === 'POST' && c.path === `/conversations/${CONVERSATION.id}/messages`);
    expect(sends).toHaveLength(1);
    expect(sends[0]!.body).toMatchObject({ text: 'Hi Ada Lovelace, refunds take 5 days.' });
    expect(box.value).toBe('');
  });

  it('shows a conversation that arrives on the live stream without a reload', async () => {
    const { api } = await openInbox('agent');
    const NEW_ID = '0196a3f0-0000-7000-8000-0000000000d2';
    api.arrive({ ...CONVERSATION, id: NEW_ID, lastMessageAt: '2026-12-06T10:00:00.000Z', handoffNote: 'billing question' });
    await act(async () =>
      FakeEventSource.last!.emit('conversation', {
        type: 'conversation',
        eventId: 'e',
        workspaceId: 'w',
        conversationId: NEW_ID,
        teamId: TEAM.id,
        fromState: 'bot',
        toState: 'queued',
        fromAssigneeUserId: null,
        toAssigneeUserId: null,
        reason: 'handed off by a flow',
        at: '2026-12-06T10:00:00.000Z',
      }),
    );
    for (let i = 0; i < 3; i++) await settle();
    expect(screen.getAllByText('“billing question”')).toHaveLength(1);
    expect(within(screen.getByRole('tab', { name: /Team queue/ })).getByLabelText('2 unread')).toBeTruthy();
  });

  it('opens a new stream when the browser gave up on the old one, and fetches the inbox again', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const { api } = await openInbox('agent');
      const first = FakeEventSource.last!;
      await act(async () => first.emit('ready', {}));
      const listsBefore = api.calls.filter((c) => c.path.startsWith('/conversations?')).length;
      first.readyState = FakeEventSource.CLOSED;
      await act(async () => first.onerror?.());
      expect(screen.getByText('Reconnecting…')).toBeTruthy();
      await act(() => vi.advanceTimersByTimeAsync(1_100));
      expect(FakeEventSource.opened).toBe(2);
      await act(async () => FakeEventSource.last!.emit('ready', {}));
      await act(() => vi.advanceTimersByTimeAsync(50));
      expect(screen.getByText('Live')).toBeTruthy();
      expect(api.calls.filter((c) => c.path.startsWith('/conversations?')).length).toBeGreaterThan(listsBefore);
    } finally {
      vi.useRealTimers();
    }
  });
});
