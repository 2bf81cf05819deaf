// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Team } from '../api/api-types.ts';
import { renderInApp } from '../test-support/render-in-app.tsx';
import { TeamsPage } from './teams-page.tsx';

const TEAM: Team = {
  id: '0196a3f0-0000-7000-8000-0000000000b1',
  name: 'Billing',
  strategy: 'least_busy',
  sticky: true,
  defaultCapacity: 4,
  isDefault: false,
  handoffTimeoutSeconds: 900,
  handoffTimeoutMessage: 'Sorry!',
  autoResolveHours: 24,
  members: [{ userId: 'u1', capacity: 2 }],
  createdAt: '',
  updatedAt: '',
};

function fakeApi() {
  const calls: { method: string; path: string; body: unknown }[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const path = url.replace('/api/v1', '');
    const method = init?.method ?? 'GET';
    calls.push({ method, path, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    const json = (body: unknown, status = 200) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (path === '/auth/me')
      return json({
        user: { id: 'a', email: 'a@example.com', name: 'Ad' },
        workspace: { id: 'w', name: 'W' },
        role: 'admin',
        workspaces: [],
      });
    if (path === '/members')
      return json({ items: [{ id: 'm1', userId: 'u1', email: 'ana@example.com', name: 'Ana', role: 'agent', createdAt: '' }] });
    if (path === '/teams' && method === 'GET') return json({ items: [TEAM] });
    if (path === `/teams/${TEAM.id}` && method === 'PATCH') return json(TEAM);
    if (path === `/teams/${TEAM.id}/members` && method === 'PUT') return json(TEAM);
    return json({ error: { code: 'not_found', message: path } }, 404);
  });
  return { fetch, calls };
}

const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 20)));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('the teams page', () => {
  it('describes each team in words: strategy, capacity, agents, what happens when nobody takes a conversation', async () => {
    vi.stubGlobal('fetch', fakeApi().fetch);
    renderInApp(<TeamsPage />);
    for (let i = 0; i < 5; i++) await settle();
    const row = within(screen.getByRole('table', { name: 'Teams' })).getAllByRole('row')[1]!;
    expect(row.textContent).toContain('Least busy');
    expect(row.textContent).toContain('up to 4 each · returning contacts to their agent');
    expect(row.textContent).toContain('Ana (2)');
    expect(row.textContent).toContain('back to the bot after 15 min');
    expect(row.textContent).toContain('resolved after 24 h of silence');
  });

  it('saves an edited team as its settings and then its members, with the timeout in seconds', async () => {
    const api = fakeApi();
    vi.stubGlobal('fetch', api.fetch);
    renderInApp(<TeamsPage />);
    for (let i = 0; i < 5; i++) await settle();
    fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    await settle();
    const dialog = screen.getByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText('Back to the bot after (minutes)'), { target: { value: '30' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save team' }));
    for (let i = 0; i < 5; i++) await settle();
    const writes = api.calls.filter((c) => c.method !== 'GET');
    expect(writes.map((c) => `${c.method} ${c.path}`)).toEqual([`PATCH /teams/${TEAM.id}`, `PUT /teams/${TEAM.id}/members`]);
    expect(writes[0]!.body).toEqual({
      name: 'Billing',
      strategy: 'least_busy',
      sticky: true,
      defaultCapacity: 4,
      isDefault: false,
      handoffTimeoutSeconds: 1800,
      handoffTimeoutMessage: 'Sorry!',
      autoResolveHours: 24,
    });
    expect(writes[1]!.body).toEqual({ members: [{ userId: 'u1', capacity: 2 }] });
  });
});
