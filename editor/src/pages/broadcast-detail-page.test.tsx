// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Broadcast } from '../api/api-types.ts';
import { renderInApp } from '../test-support/render-in-app.tsx';
import { BroadcastDetailPage } from './broadcast-detail-page.tsx';

const ID = '0196a3f0-7c2e-7a11-8b1c-2f3e4d5a6b7c';
const OCCURRENCE_ID = '0196a3f0-7c2e-7a11-8b1c-2f3e4d5a6b7d';

const NONE_SKIPPED = { opted_out: 0, restricted: 0, erased: 0, cancelled: 0, flow_inactive: 0 };

/** A broadcast of 4 recipients, `percentDone` of them delivered. */
function broadcastIn(state: Broadcast['state'], percentDone: number, extra: Partial<Broadcast> = {}): Broadcast {
  const done = (4 * percentDone) / 100;
  return {
    id: ID,
    name: 'Spring sale',
    channelId: '0196a3f0-7c2e-7a11-8b1c-000000000001',
    audience: { kind: 'segment', rule: { in: ['vip', { var: 'contact.tags' }] } },
    content: { kind: 'message', text: 'Hello {{contact.name}}' },
    templateVersion: null,
    schedule: { kind: 'now' },
    quietHours: null,
    pacePerMinute: 60,
    state,
    stateReason: null,
    parentId: null,
    nextRunAt: null,
    startedAt: '2026-11-26T10:00:00.000Z',
    finishedAt: null,
    createdAt: '2026-11-26T09:59:00.000Z',
    updatedAt: '2026-11-26T10:00:00.000Z',
    stats: {
      total: 4,
      byStatus: { pending: 4 - done, sent: 0, delivered: done, read: 0, failed: 0, skipped: 0 },
      skippedByReason: NONE_SKIPPED,
      optedOutAfter: 0,
      percentDone,
      estimatedFinishAt: null,
    },
    ...extra,
  };
}

/** The API as the page sees it: each GET of the broadcast answers the next state of `states` (the last one repeats). */
function fakeApi(states: Broadcast[]) {
  const calls: string[] = [];
  let served = 0;
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const path = url.replace('/api/v1', '');
    calls.push(`${init?.method ?? 'GET'} ${path}`);
    const json = (body: unknown, status = 200) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (path === `/broadcasts/${ID}`) return json(states[Math.min(served++, states.length - 1)]);
    if (path === `/broadcasts/${ID}/timeline`) return json({ bucketSeconds: 60, buckets: [] });
    if (path.startsWith(`/broadcasts/${ID}/recipients`)) return json({ items: [], nextCursor: null });
    if (path.startsWith(`/broadcasts?parentId=${ID}`))
      return json({
        items: [broadcastIn('completed', 100, { id: OCCURRENCE_ID, name: 'Spring sale · 2026-11-26 09:00 UTC', parentId: ID })],
        nextCursor: null,
      });
    if (path === `/broadcasts/${ID}/pause`)
      return json(
        { error: { code: 'broadcast_state_conflict', message: 'the broadcast is completed: pause needs scheduled or running' } },
        409,
      );
    return json({ error: { code: 'not_found', message: 'no route' } }, 404);
  });
  return { fetch, calls, broadcastGets: () => calls.filter((c) => c === `GET /broadcasts/${ID}`).length };
}

const button = (name: string) => screen.getByRole('button', { name }) as HTMLButtonElement;

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-11-26T12:00:00.000Z') });
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('the broadcast detail page', () => {
  it('offers pause and cancel on a running broadcast, not resume', async () => {
    const api = fakeApi([broadcastIn('running', 50)]);
    vi.stubGlobal('fetch', api.fetch);
    renderInApp(<BroadcastDetailPage broadcastId={ID} />);
    await act(() => vi.advanceTimersByTimeAsync(10));
    expect(screen.getByRole('progressbar', { name: 'Progress' }).getAttribute('aria-valuenow')).toBe('50');
    expect([button('Pause').disabled, button('Resume').disabled, button('Cancel broadcast').disabled]).toEqual([false, true, false]);
    expect(screen.queryByRole('button', { name: 'Schedule' })).toBeNull();
  });

  it('offers a draft to be scheduled, edited or deleted, not paused, resumed or cancelled', async () => {
    const api = fakeApi([broadcastIn('draft', 0, { startedAt: null })]);
    vi.stubGlobal('fetch', api.fetch);
    renderInApp(<BroadcastDetailPage broadcastId={ID} />);
    await act(() => vi.advanceTimersByTimeAsync(10));
    expect(button('Schedule').disabled).toBe(false);
    expect(button('Delete draft')).toBeTruthy();
    for (const name of ['Pause', 'Resume', 'Cancel broadcast']) expect(screen.queryByRole('button', { name })).toBeNull();
  });

  it('polls every second while it runs, and stops once it has ended and its late reports are in', async () => {
    const api = fakeApi([
      broadcastIn('running', 25),
      broadcastIn('running', 50),
      broadcastIn('running', 75),
      broadcastIn('completed', 100, { finishedAt: '2026-11-26T10:30:00.000Z' }),
    ]);
    vi.stubGlobal('fetch', api.fetch);
    renderInApp(<BroadcastDetailPage broadcastId={ID} />);
    await act(() => vi.advanceTimersByTimeAsync(10));
    for (let i = 0; i < 4; i++) await act(() => vi.advanceTimersByTimeAsync(1_000));
    expect(screen.getByRole('progressbar', { name: 'Progress' }).getAttribute('aria-valuenow')).toBe('100');
    expect(document.querySelector('[data-state]')!.getAttribute('data-state')).toBe('completed');
    const afterCompletion = api.broadcastGets();
    await act(() => vi.advanceTimersByTimeAsync(30_000));
    expect(api.broadcastGets()).toBe(afterCompletion);
    expect([button('Pause').disabled, button('Resume').disabled, button('Cancel broadcast').disabled]).toEqual([true, true, true]);
  });

  it("shows the server's refusal of an action and the state it is really in", async () => {
    // The first answer is the page opening; the refusal makes the page ask again.
    const api = fakeApi([broadcastIn('running', 90), broadcastIn('completed', 100, { finishedAt: '2026-11-26T10:30:00.000Z' })]);
    vi.stubGlobal('fetch', api.fetch);
    renderInApp(<BroadcastDetailPage broadcastId={ID} />);
    await act(() => vi.advanceTimersByTimeAsync(10));
    fireEvent.click(button('Pause'));
    await act(() => vi.advanceTimersByTimeAsync(10));
    expect(screen.getByRole('alert').textContent).toBe('the broadcast is completed: pause needs scheduled or running');
    expect(document.querySelector('[data-state]')!.getAttribute('data-state')).toBe('completed');
  });

  it('lists the occurrences of a recurring broadcast, each linked with its state and progress', async () => {
    const api = fakeApi([
      broadcastIn('scheduled', 0, {
        schedule: { kind: 'recurring', cron: '0 9 * * 1', timezone: 'Europe/Paris' },
        startedAt: null,
        nextRunAt: '2026-11-30T08:00:00.000Z',
      }),
    ]);
    vi.stubGlobal('fetch', api.fetch);
    renderInApp(<BroadcastDetailPage broadcastId={ID} />);
    await act(() => vi.advanceTimersByTimeAsync(10));
    const link = screen.getByRole('link', { name: 'Spring sale · 2026-11-26 09:00 UTC' });
    expect(link.getAttribute('href')).toBe(`/broadcasts/${OCCURRENCE_ID}`);
    expect(screen.getByRole('progressbar', { name: 'Progress of Spring sale · 2026-11-26 09:00 UTC' }).getAttribute('aria-valuenow')).toBe(
      '100',
    );
    expect(api.calls.some((c) => c.startsWith(`GET /broadcasts/${ID}/recipients`))).toBe(false);
  });
});
