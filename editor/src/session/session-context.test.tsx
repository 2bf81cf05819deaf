// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SessionAnswer } from '../api/api-types.ts';
import { renderInApp } from '../test-support/render-in-app.tsx';
import { meKey } from '../api/queries/session.queries.ts';
import { useSession } from './session-context.tsx';

const ANSWER: SessionAnswer = {
  token: 'the-session-token',
  user: { id: 'u', email: 'ada@example.com', name: 'Ada', createdAt: '2026-01-01T00:00:00.000Z' },
  workspace: { id: 'w', name: 'W', timezone: 'UTC', plan: 'free', createdAt: '2026-01-01T00:00:00.000Z' },
  role: 'owner',
};

/** The server as the session sees it: /auth/me answers `meStatus`; every call is recorded. */
function fakeServer(meStatus: number) {
  const calls: { method: string; path: string; headers: Record<string, string> }[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    calls.push({ method: init?.method ?? 'GET', path: url, headers: (init?.headers ?? {}) as Record<string, string> });
    const json = (body: unknown, status = 200) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (url === '/api/v1/auth/me')
      return meStatus === 200
        ? json({ user: ANSWER.user, workspace: ANSWER.workspace, role: 'owner', workspaces: [] })
        : json({ error: { code: 'unauthenticated', message: 'log in' } }, meStatus);
    if (url === '/api/v1/auth/logout') return new Response(null, { status: 204 });
    if (url === '/api/v1/flows') return json({ id: 'f' }, 201);
    return json({ error: { code: 'not_found', message: 'no route' } }, 404);
  });
  vi.stubGlobal('fetch', fetch);
  return calls;
}

function Probe() {
  const { status, api, signIn, signOut } = useSession();
  return (
    <>
      <output>{status}</output>
      <button type="button" onClick={() => signIn(ANSWER)}>
        sign in
      </button>
      <button type="button" onClick={() => void api.post('/flows', { name: 'x' })}>
        create
      </button>
      <button type="button" onClick={() => void signOut()}>
        sign out
      </button>
    </>
  );
}

const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 0)));
const status = () => screen.getByRole('status').textContent;

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  document.cookie = 'om_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
});

describe('the editor session', () => {
  it('asks the server whether the browser is logged in before showing anything', async () => {
    fakeServer(200);
    renderInApp(<Probe />);
    expect(status()).toBe('checking');
    await settle();
    expect(status()).toBe('signed-in');
  });

  it('takes the answer index.html started loading, asks no second time, and keeps it as the caller', async () => {
    const calls = fakeServer(500);
    const me = { user: ANSWER.user, workspace: ANSWER.workspace, role: 'owner', workspaces: [] };
    window.__onemessageSessionPrefetch = Promise.resolve(
      new Response(JSON.stringify(me), { status: 200, headers: { 'content-type': 'application/json' } }),
    );
    const { queryClient } = renderInApp(<Probe />);
    await settle();
    expect(status()).toBe('signed-in');
    expect(calls.filter((c) => c.path === '/api/v1/auth/me')).toEqual([]);
    expect(queryClient.getQueryData(meKey)).toEqual(me);
  });

  it('shows the login page when the prefetched answer is a 401', async () => {
    fakeServer(200);
    window.__onemessageSessionPrefetch = Promise.resolve(new Response('{}', { status: 401 }));
    renderInApp(<Probe />);
    await settle();
    expect(status()).toBe('signed-out');
  });

  it('shows the login page when the server knows no session', async () => {
    fakeServer(401);
    renderInApp(<Probe />);
    await settle();
    expect(status()).toBe('signed-out');
  });

  it('keeps the token out of the page: no storage, no Authorization header, the CSRF cookie echoed on changes', async () => {
    const calls = fakeServer(401);
    document.cookie = 'om_csrf=csrf-value';
    renderInApp(<Probe />);
    await settle();
    fireEvent.click(screen.getByRole('button', { name: 'sign in' }));
    fireEvent.click(screen.getByRole('button', { name: 'create' }));
    await settle();
    expect(status()).toBe('signed-in');
    expect([localStorage.length, sessionStorage.length]).toEqual([0, 0]);
    expect(calls.every((c) => !('authorization' in c.headers))).toBe(true);
    expect(calls.find((c) => c.path === '/api/v1/flows')?.headers['x-csrf-token']).toBe('csrf-value');
    expect(calls.find((c) => c.path === '/api/v1/auth/me')?.headers['x-csrf-token']).toBeUndefined();
  });

  it('logs out on the server, then shows the login page', async () => {
    const calls = fakeServer(200);
    document.cookie = 'om_csrf=csrf-value';
    renderInApp(<Probe />);
    await settle();
    fireEvent.click(screen.getByRole('button', { name: 'sign out' }));
    await settle();
    expect(calls.find((c) => c.path === '/api/v1/auth/logout')).toMatchObject({
      method: 'POST',
      headers: { 'x-csrf-token': 'csrf-value' },
    });
    expect(status()).toBe('signed-out');
  });
});
