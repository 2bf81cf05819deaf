// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renderInApp } from '../test-support/render-in-app.tsx';
import { AcceptInvitationPage } from './accept-invitation-page.tsx';

const TOKEN = 'tok_abcdefghijklmnopqrstuvwxyz0123456789ABCDEF';
const INVITATION = {
  email: 'sam@example.com',
  role: 'agent',
  workspaceName: 'Workspace X',
  inviterName: 'Ada',
  expiresAt: '2030-01-01T00:00:00.000Z',
  hasAccount: false,
};
const SESSION = {
  token: 'session',
  user: { id: 'u', email: 'sam@example.com', name: 'Sam' },
  workspace: { id: 'w', name: 'Workspace X' },
  role: 'agent',
};

/** The API as the page sees it: the lookup answers `lookup`; an accept answers a session. */
function fakeApi(lookup: { status: number; body: unknown }) {
  const calls: { path: string; body: unknown }[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const path = url.replace('/api/v1', '');
    calls.push({ path, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    const json = (body: unknown, status = 200) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (path === '/invitations/lookup') return json(lookup.body, lookup.status);
    if (path === '/invitations/accept') return json(SESSION);
    return json({ error: { code: 'unauthenticated', message: 'no session' } }, 401);
  });
  return { fetch, calls };
}

async function open(api: ReturnType<typeof fakeApi>) {
  vi.stubGlobal('fetch', api.fetch);
  const app = renderInApp(<AcceptInvitationPage />, { path: '/invitations/accept' });
  await act(async () => undefined);
  return app;
}

beforeEach(() => {
  localStorage.clear();
  window.location.hash = `#token=${TOKEN}`;
});
afterEach(async () => {
  cleanup();
  vi.unstubAllGlobals();
  // A Mantine transition timer started by the last test (the button's loader) fires after
  // happy-dom is torn down ("window is not defined", seen once in CI) unless it runs out here.
  await new Promise((resolve) => setTimeout(resolve, 500));
});

describe('the accept-invitation page', () => {
  it('says who invited you to what, and creates your account with the name and password you give', async () => {
    const api = fakeApi({ status: 200, body: INVITATION });
    const { router } = await open(api);
    expect(screen.getByText('Ada invited you to join Workspace X as an agent.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText(/^Your name/), { target: { value: 'Sam' } });
    fireEvent.change(screen.getByLabelText(/^Choose a password/), { target: { value: 'a long password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create account and join' }));
    await act(async () => undefined);
    expect(api.calls.find((c) => c.path === '/invitations/accept')?.body).toEqual({
      token: TOKEN,
      name: 'Sam',
      password: 'a long password',
    });
    expect(router.state.location.pathname).toBe('/flows');
  });

  it('asks to log in first when the invited email already has an account', async () => {
    await open(fakeApi({ status: 200, body: { ...INVITATION, hasAccount: true } }));
    expect(screen.getByText('You already have an account for sam@example.com: log in first, then accept.')).toBeTruthy();
    expect(screen.queryByLabelText('Your name')).toBeNull();
  });

  it('explains an expired link in plain words', async () => {
    await open(
      fakeApi({
        status: 410,
        body: { error: { code: 'invitation_expired', message: 'this invitation has expired; ask the workspace admin for a new one' } },
      }),
    );
    expect(screen.getByRole('alert').textContent).toContain(
      'This invitation has expired. Ask the person who invited you to send a new one.',
    );
  });
});
