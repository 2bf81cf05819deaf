// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PREVIEW_DEBOUNCE_MS } from '../broadcasts/use-segment-preview.ts';
import { renderInApp } from '../test-support/render-in-app.tsx';
import { BroadcastFormPage } from './broadcast-form-page.tsx';

const CHANNEL = '0196a3f0-7c2e-7a11-8b1c-000000000001';
const CREATED = '0196a3f0-7c2e-7a11-8b1c-2f3e4d5a6b7c';

/** A started broadcast, paused: editable, no longer schedulable. */
const PAUSED = {
  id: CREATED,
  name: 'Spring sale',
  channelId: CHANNEL,
  audience: { kind: 'segment', rule: { in: ['vip', { var: 'contact.tags' }] } },
  content: { kind: 'message', text: 'Hello' },
  schedule: { kind: 'now' },
  quietHours: null,
  pacePerMinute: 60,
  state: 'paused',
  startedAt: '2026-11-26T10:00:00.000Z',
};

/** The API as the form sees it; the first schedule is refused for an empty audience, the next accepted. */
function fakeApi() {
  const requests: { method: string; path: string; body: unknown }[] = [];
  let schedules = 0;
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const path = url.replace('/api/v1', '');
    const body: unknown = init?.body ? JSON.parse(String(init.body)) : undefined;
    requests.push({ method, path, body });
    const json = (answer: unknown, status = 200) =>
      new Response(JSON.stringify(answer), { status, headers: { 'content-type': 'application/json' } });
    if (path === '/channels') return json({ items: [{ id: CHANNEL, kind: 'sandbox', name: 'Test line', status: 'connected' }] });
    if (path.startsWith('/flows')) return json({ items: [], nextCursor: null });
    if (path === '/auth/me')
      return json({ user: null, workspace: { id: 'w', name: 'W', timezone: 'Europe/Paris' }, role: 'owner', workspaces: [] });
    if (path === '/segments/preview') {
      const vip = JSON.stringify(body).includes('vip');
      return json({
        count: vip ? 2 : 5,
        excluded: { opted_out: 1, restricted: 0, erased: 0 },
        sample: [{ id: 'c1', name: 'Ada', phone: '+15550001', tags: ['vip'] }],
      });
    }
    if (method === 'POST' && path === '/broadcasts') return json({ id: CREATED }, 201);
    if (method === 'PATCH' && path === `/broadcasts/${CREATED}`) return json({ id: CREATED });
    if (method === 'GET' && path === `/broadcasts/${CREATED}`) return json(PAUSED);
    if (path === `/broadcasts/${CREATED}/schedule`) {
      if (++schedules === 1)
        return json(
          {
            error: {
              code: 'broadcast_invalid',
              message: 'the broadcast cannot be scheduled',
              details: [{ path: 'audience', message: 'no contact can be messaged' }],
            },
          },
          400,
        );
      return json({ id: CREATED, state: 'scheduled' });
    }
    return json({ error: { code: 'not_found', message: `no route ${method} ${path}` } }, 404);
  });
  return { fetch, requests };
}

const settle = () => act(() => vi.advanceTimersByTimeAsync(PREVIEW_DEBOUNCE_MS + 10));

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('the new broadcast form', () => {
  it('counts the segment live, with its exclusions and sample, and counts again when the rule changes', async () => {
    const api = fakeApi();
    vi.stubGlobal('fetch', api.fetch);
    renderInApp(<BroadcastFormPage />);
    await settle();
    expect(screen.getByTestId('audience-count').textContent).toBe('5');
    expect(screen.getByTestId('audience-excluded').textContent).toBe('Excluded: 1 opted out, 0 restricted, 0 erased');
    expect(screen.getByRole('list', { name: 'Sample contacts' }).textContent).toContain('Ada');

    fireEvent.change(screen.getByLabelText('Field'), { target: { value: 'contact.tags' } });
    fireEvent.change(screen.getByLabelText('Operator'), { target: { value: 'contains' } });
    fireEvent.change(screen.getByLabelText('Value'), { target: { value: 'vip' } });
    await settle();
    expect(screen.getByTestId('audience-count').textContent).toBe('2');
    // Three edits inside the debounce delay: one request for the last rule.
    expect(api.requests.filter((r) => r.path === '/segments/preview').map((r) => r.body)).toEqual([
      { rule: { '!!': { var: 'contact.phone' } } },
      { rule: { in: ['vip', { var: 'contact.tags' }] } },
    ]);
  });

  it('lists what the schema finds wrong before sending anything', async () => {
    const api = fakeApi();
    vi.stubGlobal('fetch', api.fetch);
    renderInApp(<BroadcastFormPage />);
    await settle();
    fireEvent.click(screen.getByRole('button', { name: 'Schedule and send now' }));
    expect(screen.getByRole('alert').textContent).toBe('Some fields need fixing before the broadcast can be saved.');
    expect(screen.getByRole('list', { name: 'Problems to fix' }).textContent).toContain('content.text');
    expect(api.requests.some((r) => r.path === '/broadcasts')).toBe(false);
  });

  it("shows the server's refusal to schedule with its details, and a second try updates the same draft", async () => {
    const api = fakeApi();
    vi.stubGlobal('fetch', api.fetch);
    const { router } = renderInApp(<BroadcastFormPage />, { path: '/broadcasts/new' });
    await settle();
    fireEvent.change(screen.getByLabelText(/^Name/), { target: { value: 'Spring sale' } });
    fireEvent.change(screen.getByLabelText(/^Message text/), { target: { value: 'Hello {{contact.name}}' } });
    fireEvent.click(screen.getByRole('button', { name: 'Schedule and send now' }));
    await settle();
    expect(screen.getByRole('alert').textContent).toBe('the broadcast cannot be scheduled');
    expect(screen.getByRole('list', { name: 'Problems to fix' }).textContent).toBe('audience no contact can be messaged');

    fireEvent.click(screen.getByRole('button', { name: 'Schedule and send now' }));
    await settle();
    expect(api.requests.filter((r) => r.path === '/broadcasts' || r.path === `/broadcasts/${CREATED}`).map((r) => r.method)).toEqual([
      'POST',
      'PATCH',
    ]);
    expect(router.state.location.pathname).toBe(`/broadcasts/${CREATED}`);
    expect(api.requests.find((r) => r.method === 'POST' && r.path === '/broadcasts')!.body).toMatchObject({
      name: 'Spring sale',
      channelId: CHANNEL,
      schedule: { kind: 'now' },
      pacePerMinute: null,
    });
  });

  it('counts the phones of an uploaded CSV as the server will read them, and sends the file as the audience', async () => {
    const api = fakeApi();
    vi.stubGlobal('fetch', api.fetch);
    renderInApp(<BroadcastFormPage />);
    await settle();
    fireEvent.click(screen.getByRole('radio', { name: 'CSV file' }));
    const csv = 'name,phone\nAda,+15550000001\nBob,+1 555 000 0002\nAda again,+15550000001\nNo one,12\n';
    fireEvent.change(screen.getByLabelText('Upload CSV'), { target: { files: [new File([csv], 'vips.csv', { type: 'text/csv' })] } });
    await settle();
    // Read as the server will: normalised, each phone once, and the line that is no phone named.
    expect(screen.getByTestId('audience-count').textContent).toBe('2');
    expect(screen.getByText('+15550000001, +15550000002')).toBeTruthy();
    expect(screen.getByRole('list', { name: 'Entries that are not phones' }).textContent).toContain('line 5');
    fireEvent.change(screen.getByLabelText(/^Name/), { target: { value: 'CSV list' } });
    fireEvent.change(screen.getByLabelText(/^Message text/), { target: { value: 'Hi' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save as draft' }));
    await settle();
    expect(api.requests.find((r) => r.method === 'POST' && r.path === '/broadcasts')!.body).toMatchObject({
      audience: { kind: 'csv', csv },
    });
    expect(api.requests.some((r) => r.path.endsWith('/schedule'))).toBe(false);
  });

  it('edits a paused broadcast: its saved settings in the form, only the changed field sent, no scheduling', async () => {
    const api = fakeApi();
    vi.stubGlobal('fetch', api.fetch);
    const { router } = renderInApp(<BroadcastFormPage broadcastId={CREATED} />, { path: `/broadcasts/${CREATED}/edit` });
    await settle();
    expect(screen.getByRole('heading', { name: 'Edit broadcast' })).toBeTruthy();
    expect((screen.getByLabelText('Value') as HTMLInputElement).value).toBe('vip');
    expect((screen.getByLabelText(/^Pace \(messages per minute\)/) as HTMLInputElement).value).toBe('60');
    expect(screen.queryByRole('button', { name: /Schedule/ })).toBeNull();
    fireEvent.change(screen.getByLabelText(/^Pace \(messages per minute\)/), { target: { value: '30' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    await settle();
    expect(api.requests.filter((r) => r.method === 'PATCH').map((r) => r.body)).toEqual([{ pacePerMinute: 30 }]);
    expect(router.state.location.pathname).toBe(`/broadcasts/${CREATED}`);
  });
});
