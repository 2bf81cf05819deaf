// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConversationListItem, InboxAgent, TeamFigures } from '../api/api-types.ts';
import { renderInApp } from '../test-support/render-in-app.tsx';
import { SupervisorPage } from './supervisor-page.tsx';

const NOW = Date.parse('2026-12-06T10:00:00.000Z');
const TEAM_ID = '0196a3f0-0000-7000-8000-0000000000b1';
const FIGURES: TeamFigures[] = [
  {
    teamId: TEAM_ID,
    name: 'Support',
    queued: 2,
    assigned: 3,
    longestWaitSeconds: 720,
    overSla: 1,
    waitP50Seconds: 95,
    waitP90Seconds: 4_000,
  },
];
const AGENTS: InboxAgent[] = [
  {
    userId: 'u1',
    name: 'Ana',
    email: 'ana@example.com',
    availability: 'online',
    connected: true,
    load: 3,
    capacity: 3,
    teamIds: [TEAM_ID],
  },
  {
    userId: 'u2',
    name: 'Ben',
    email: 'ben@example.com',
    availability: 'online',
    connected: false,
    load: 0,
    capacity: 5,
    teamIds: [TEAM_ID],
  },
];
function queued(id: string, contactId: string, name: string, minutesAgo: number): ConversationListItem {
  const at = new Date(NOW - minutesAgo * 60_000).toISOString();
  return {
    id,
    channelId: 'ch',
    contactId,
    status: 'pending',
    state: 'queued',
    stateChangedAt: at,
    assigneeUserId: null,
    teamId: TEAM_ID,
    botPaused: true,
    queuedAt: at,
    snoozedUntil: null,
    handoffNote: null,
    lastMessageAt: at,
    createdAt: at,
    contact: { name, phone: null },
    lastMessage: null,
    unreadCount: 0,
  };
}

function fakeApi() {
  const calls: string[] = [];
  const fetch = vi.fn(async (url: string) => {
    const path = url.replace('/api/v1', '');
    calls.push(path);
    const json = (body: unknown, status = 200) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (path === '/auth/me')
      return json({
        user: { id: 'sup', email: 's@example.com', name: 'Sue' },
        workspace: { id: 'w', name: 'W' },
        role: 'admin',
        workspaces: [],
      });
    if (path === '/members') return json({ items: [] });
    if (path === '/teams')
      return json({
        items: [
          {
            id: TEAM_ID,
            name: 'Support',
            strategy: 'round_robin',
            sticky: false,
            defaultCapacity: 5,
            isDefault: true,
            handoffTimeoutSeconds: null,
            handoffTimeoutMessage: null,
            autoResolveHours: null,
            members: [],
            createdAt: '',
            updatedAt: '',
          },
        ],
      });
    if (path.startsWith('/inbox/overview?')) return json({ teams: FIGURES });
    if (path === '/inbox/agents') return json({ items: AGENTS });
    if (path.startsWith('/conversations?'))
      return json({ items: [queued('c-old', 'k-old', 'Olga Old', 12), queued('c-new', 'k-new', 'Nina New', 2)], nextCursor: null });
    return json({ error: { code: 'not_found', message: path } }, 404);
  });
  return { fetch, calls };
}

const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 20)));

beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
  localStorage.clear();
  vi.stubGlobal(
    'EventSource',
    class {
      addEventListener() {}
      close() {}
    },
  );
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('the supervisor page', () => {
  it("shows each team's queue, longest wait, late count and today's median and 90th percentile waits in words", async () => {
    vi.stubGlobal('fetch', fakeApi().fetch);
    renderInApp(<SupervisorPage />);
    for (let i = 0; i < 5; i++) await settle();
    const row = await vi.waitFor(() => within(screen.getByRole('table', { name: 'Team figures' })).getAllByRole('row')[1]!);
    expect([...row.querySelectorAll('td')].map((td) => td.textContent)).toEqual(['Support', '2', '12 min', '1', '3', '1 min', '1 h 6 min']);
  });

  it('shows agents with availability and load, and says when an online agent has no inbox open', async () => {
    vi.stubGlobal('fetch', fakeApi().fetch);
    renderInApp(<SupervisorPage />);
    for (let i = 0; i < 5; i++) await settle();
    const agents = screen.getByRole('table', { name: 'Agents' });
    expect(within(agents).getByRole('progressbar', { name: 'Ana: 3 of 3 conversations' })).toBeTruthy();
    expect(within(agents).getAllByRole('row')[2]!.textContent).toContain('inbox not open');
  });

  it('lists only the contacts waiting longer than the target, oldest first, and asks the API again for a new target', async () => {
    const api = fakeApi();
    vi.stubGlobal('fetch', api.fetch);
    renderInApp(<SupervisorPage />);
    for (let i = 0; i < 5; i++) await settle();
    const late = () => within(screen.getByRole('region', { name: 'Waiting longer than the target' }));
    await vi.waitFor(() =>
      expect(
        late()
          .getAllByRole('link')
          .map((a) => a.textContent),
      ).toEqual(['Olga Old']),
    );
    fireEvent.change(screen.getByLabelText('Target wait (minutes)'), { target: { value: '1' } });
    for (let i = 0; i < 5; i++) await settle();
    await vi.waitFor(() =>
      expect(
        late()
          .getAllByRole('link')
          .map((a) => a.textContent),
      ).toEqual(['Olga Old', 'Nina New']),
    );
    expect(api.calls).toContain('/inbox/overview?slaSeconds=60');
  });
});
