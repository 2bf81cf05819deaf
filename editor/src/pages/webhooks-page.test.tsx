// @vitest-environment happy-dom
import { act, cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebhookEndpoint } from '../api/api-types.ts';
import { renderInApp } from '../test-support/render-in-app.tsx';
import { WebhookNotice } from '../webhooks/webhook-notice.tsx';
import { endpointState, WebhooksPage } from './webhooks-page.tsx';

const ENDPOINT: WebhookEndpoint = {
  id: '0196a3f0-0000-7000-8000-0000000000c1',
  url: 'https://crm.example.com/hooks',
  description: 'Our CRM',
  eventTypes: ['message.received', 'contact.opted_out'],
  enabled: false,
  disabledReason: 'failing',
  disabledAt: '2026-12-06T06:00:00.000Z',
  failingSince: '2026-12-05T06:00:00.000Z',
  previousSecretValidUntil: null,
  recent: { succeeded: 0, failed: 12, pending: 0 },
  createdAt: '',
  updatedAt: '',
};

function fakeApi(role: string) {
  return vi.fn(async (url: string) => {
    const path = url.replace('/api/v1', '');
    const json = (body: unknown, status = 200) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (path === '/auth/me')
      return json({ user: { id: 'a', email: 'a@example.com', name: 'Ad' }, workspace: { id: 'w', name: 'W' }, role, workspaces: [] });
    if (path === '/webhooks') return json({ items: [ENDPOINT] });
    return json({ error: { code: 'not_found', message: path } }, 404);
  });
}

const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 20)));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('the webhooks page', () => {
  it('says in words what each endpoint hears of and that the server turned it off', async () => {
    vi.stubGlobal('fetch', fakeApi('admin'));
    renderInApp(<WebhooksPage />);
    for (let i = 0; i < 5; i++) await settle();
    expect(screen.getByText('https://crm.example.com/hooks')).toBeTruthy();
    expect(screen.getByText('A contact sent a message · A contact opted out')).toBeTruthy();
    expect(screen.getByText('Turned off after failing for a day')).toBeTruthy();
    expect(screen.getByText(/Last 24 hours: 0 delivered, 0 retrying, 12 failed/)).toBeTruthy();
  });

  it('tells an agent who sets webhooks up, and asks the API nothing about them', async () => {
    const fetch = fakeApi('agent');
    vi.stubGlobal('fetch', fetch);
    renderInApp(<WebhooksPage />);
    for (let i = 0; i < 5; i++) await settle();
    expect(screen.getByText("Webhooks are set up by the workspace's owners and admins.")).toBeTruthy();
    expect(fetch.mock.calls.map((c) => String(c[0]))).not.toContain('/api/v1/webhooks');
  });
});

describe('the banner of a webhook the server turned off', () => {
  it('names the address for admins', async () => {
    vi.stubGlobal('fetch', fakeApi('owner'));
    renderInApp(<WebhookNotice />);
    for (let i = 0; i < 5; i++) await settle();
    expect(screen.getByRole('status').textContent).toContain('https://crm.example.com/hooks failed for a day');
  });
});

describe('endpointState', () => {
  it('tells a failing endpoint still on from one turned off by a person', () => {
    expect(endpointState({ ...ENDPOINT, enabled: true, disabledReason: null })).toEqual({ label: 'Failing', color: 'orange' });
    expect(endpointState({ ...ENDPOINT, enabled: false, disabledReason: 'turned_off', failingSince: null })).toEqual({
      label: 'Turned off',
      color: 'gray',
    });
    expect(endpointState({ ...ENDPOINT, enabled: true, disabledReason: null, failingSince: null })).toEqual({
      label: 'Active',
      color: 'green',
    });
  });
});
