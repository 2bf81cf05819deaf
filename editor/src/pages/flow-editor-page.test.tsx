// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderInApp } from '../test-support/render-in-app.tsx';
import { FlowEditorPage } from './flow-editor-page.tsx';

const FLOW_ID = '0196a3f0-0000-7000-8000-0000000000f1';
const NODE_COUNT = 12;

/** A flow of a keyword trigger followed by a chain of messages. */
function flowAnswer() {
  const nodes = Array.from({ length: NODE_COUNT }, (_, i) =>
    i === 0
      ? { id: 'n0', type: 'message_received', position: { x: 0, y: 0 }, config: { match: { kind: 'keyword', keywords: ['hi'] } } }
      : { id: `n${i}`, type: 'send_message', position: { x: 0, y: i * 150 }, config: { text: `Step ${i}` } },
  );
  const edges = nodes.slice(1).map((n, i) => ({ id: `e${i}`, source: `n${i}`, sourceHandle: 'out', target: n.id }));
  return {
    id: FLOW_ID,
    name: 'Welcome',
    description: null,
    active: false,
    publishedVersion: null,
    draftRevision: 1,
    priority: 0,
    createdAt: '2026-12-06T10:00:00.000Z',
    updatedAt: '2026-12-06T10:00:00.000Z',
    document: { schemaVersion: 1, nodes, edges },
    problems: [],
  };
}

/** The API as the editor page reads it; GET /flows/:id answers when the test lets it. */
function fakeApi() {
  const calls: string[] = [];
  let answerFlow: () => void = () => undefined;
  const flowAnswered = new Promise<void>((resolve) => (answerFlow = resolve));
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const path = url.replace('/api/v1', '');
    calls.push(`${init?.method ?? 'GET'} ${path}`);
    if (path === '/auth/me')
      return json({
        user: { id: 'u', email: 'o@example.com', name: 'O' },
        workspace: { id: 'w', name: 'W' },
        role: 'owner',
        workspaces: [],
      });
    if (path === `/flows/${FLOW_ID}`) {
      await flowAnswered;
      return json(flowAnswer());
    }
    if (path === '/secrets') return json({ items: [] });
    if (path === '/templates') return json({ items: [] });
    if (path.startsWith(`/flows/${FLOW_ID}/runs`)) return json({ items: [], nextCursor: null });
    return json({ error: { code: 'not_found', message: path } }, 404);
  });
  return { fetch, calls, answerFlow: () => answerFlow() };
}

const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 20)));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('the flow editor page while its flow loads', () => {
  it('shows a loader until the flow answers, then the canvas with every node in its first render (not once empty, then filled)', async () => {
    const api = fakeApi();
    vi.stubGlobal('fetch', api.fetch);
    // What the document looked like each time it changed: is the canvas there, and with how many nodes.
    const seen: { canvas: boolean; nodes: number }[] = [];
    const observer = new MutationObserver(() =>
      seen.push({ canvas: document.querySelector('.react-flow') !== null, nodes: document.querySelectorAll('.react-flow__node').length }),
    );
    observer.observe(document.body, { childList: true, subtree: true });
    renderInApp(<FlowEditorPage flowId={FLOW_ID} />, { path: `/flows/${FLOW_ID}` });
    for (let i = 0; i < 3; i++) await settle();
    expect(screen.getByLabelText('Loading the flow')).toBeTruthy();
    expect(document.querySelector('.react-flow')).toBeNull();

    api.answerFlow();
    for (let i = 0; i < 5; i++) await settle();
    observer.disconnect();
    expect(document.querySelectorAll('.react-flow__node')).toHaveLength(NODE_COUNT);
    expect(seen.find((s) => s.canvas)).toEqual({ canvas: true, nodes: NODE_COUNT });
    expect(screen.queryByLabelText('Loading the flow')).toBeNull();
  });

  it("asks for the workspace's secrets and templates at the first edit, not while the canvas loads", async () => {
    const api = fakeApi();
    vi.stubGlobal('fetch', api.fetch);
    api.answerFlow();
    renderInApp(<FlowEditorPage flowId={FLOW_ID} />, { path: `/flows/${FLOW_ID}` });
    for (let i = 0; i < 5; i++) await settle();
    expect(document.querySelectorAll('.react-flow__node')).toHaveLength(NODE_COUNT);
    expect(api.calls.filter((c) => c === 'GET /secrets' || c === 'GET /templates')).toEqual([]);

    // An edit: a node added from the palette.
    fireEvent.click(within(screen.getByRole('navigation', { name: 'Node palette' })).getByRole('button', { name: 'Add tag' }));
    for (let i = 0; i < 5; i++) await settle();
    expect(document.querySelectorAll('.react-flow__node')).toHaveLength(NODE_COUNT + 1);
    expect(api.calls).toContain('GET /secrets');
    expect(api.calls).toContain('GET /templates');
  });
});
