import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../engine/clock.ts';
import { validateFlow } from '../engine/flows/validate-flow.ts';
import { newId } from '../platform/ids.ts';
import { testSql } from './support/test-sql.ts';
import { seedDemo } from '../platform/seed/seed-demo.ts';
import { eventually } from './support/eventually.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { inviteMember } from './support/invite-member.ts';
import type { ApiClient } from './support/api-client.ts';

const EXAMPLES_DIR = new URL('../examples/flows/', import.meta.url);
const exampleFiles = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json'));
const example = (file: string) =>
  JSON.parse(readFileSync(new URL(file, EXAMPLES_DIR), 'utf8')) as { name: string; description: string | null; document: any };

let api: TestApi;
let owner: ApiClient;
let agent: ApiClient;
let marketer: ApiClient;
let other: ApiClient;
let workspaceId: string;

async function sql<T = any>(query: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(api.env.orm.em.fork(), query, bindings)).rows;
}

async function memberClient(email: string, role: string): Promise<ApiClient> {
  return (await inviteMember(owner, { email, role, name: role, password: `password-${role}` })).client;
}

/** A draft with three problems: a send with no text, an edge to a missing node, a node nothing reaches. */
function brokenDocument() {
  return {
    schemaVersion: 1,
    nodes: [
      { id: 'start', type: 'message_received', config: { match: { kind: 'keyword', keywords: ['hi'] } }, position: { x: 0, y: 0 } },
      { id: 'empty-send', type: 'send_message', config: { text: '' }, position: { x: 1, y: 0 } },
      { id: 'island', type: 'end', config: {}, position: { x: 2, y: 0 } },
    ],
    edges: [
      { id: 'a', source: 'start', sourceHandle: 'out', target: 'empty-send' },
      { id: 'b', source: 'empty-send', sourceHandle: 'out', target: 'ghost' },
    ],
  };
}

/** The audit log's entries about one target, oldest first. */
async function auditOf(targetId: string): Promise<{ action: string; details: Record<string, unknown> }[]> {
  const res = await owner.get('/api/v1/audit-log?limit=200');
  expect(res.status).toBe(200);
  return res.body.items.filter((e: any) => e.targetId === targetId).reverse();
}

async function createFlow(client: ApiClient, body: Record<string, unknown>) {
  const res = await client.post('/api/v1/flows', body);
  expect(res.status).toBe(201);
  return res.body;
}

/** Where this test's server says it is reached; flow webhook URLs are built from it. */
const PUBLIC_URL = 'https://onemessage.example.com';

beforeAll(async () => {
  api = await startTestApi({ PUBLIC_URL });
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'flows@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Flows',
  });
  owner = api.client.as(signup.body.token);
  workspaceId = signup.body.workspace.id;
  const otherSignup = await api.client.post('/api/v1/auth/signup', {
    email: 'other@example.com',
    password: 'password-123',
    name: 'Other',
    workspaceName: 'Other',
  });
  other = api.client.as(otherSignup.body.token);
  agent = await memberClient('agent@example.com', 'agent');
  marketer = await memberClient('marketer@example.com', 'marketer');
});

afterAll(async () => {
  await api?.close();
});

describe('when a flow is created', () => {
  it('starts as an empty, inactive, unpublished draft at revision 1 (the editor offers templates)', async () => {
    const flow = await createFlow(owner, { name: 'Welcome', description: 'Greets people' });
    expect(flow).toMatchObject({
      name: 'Welcome',
      description: 'Greets people',
      active: false,
      publishedVersion: null,
      priority: 0,
      draftRevision: 1,
      hasWebhookToken: false,
    });
    expect(flow.document).toEqual({ schemaVersion: 1, nodes: [], edges: [] });
  });

  it('keeps an invalid draft and shows its problems with node ids and codes', async () => {
    const flow = await createFlow(owner, { name: 'Broken', document: brokenDocument() });
    const res = await owner.get(`/api/v1/flows/${flow.id}`);
    expect(res.status).toBe(200);
    expect(res.body.document).toEqual(brokenDocument());
    expect(res.body.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'invalid_config', nodeId: 'empty-send' }),
        expect.objectContaining({ code: 'edge_missing_node', edgeId: 'b' }),
        expect.objectContaining({ code: 'unreachable_node', nodeId: 'island' }),
      ]),
    );
  });

  it('lists it with its revision, publication state and run counts', async () => {
    const flow = await createFlow(owner, { name: 'Listed' });
    const res = await owner.get('/api/v1/flows');
    expect(res.status).toBe(200);
    const item = res.body.items.find((f: any) => f.id === flow.id);
    expect(item).toMatchObject({
      name: 'Listed',
      active: false,
      publishedVersion: null,
      draftRevision: 1,
      runsLast24h: { running: 0, waiting: 0, completed: 0, failed: 0, stopped: 0 },
    });
    expect(item.document).toBeUndefined();
  });

  it('refuses a document that is not a flow document', async () => {
    const res = await owner.post('/api/v1/flows', { name: 'x', document: { nodes: 'none' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });
});

describe('when two editors save the same draft revision', () => {
  it('accepts the first save and answers 409 draft_conflict to the second, naming the current revision', async () => {
    const flow = await createFlow(owner, { name: 'Shared' });
    const first = await owner.patch(`/api/v1/flows/${flow.id}`, { document: example('keyword-auto-reply.json').document, baseRevision: 1 });
    expect(first.status).toBe(200);
    expect(first.body.draftRevision).toBe(2);

    const second = await owner.patch(`/api/v1/flows/${flow.id}`, { name: 'Mine', baseRevision: 1 });
    expect(second.status).toBe(409);
    expect(second.body.error).toEqual({
      code: 'draft_conflict',
      message: 'this flow was changed elsewhere: you edited revision 1, the current revision is 2; reload it and apply your change again',
      details: { currentRevision: 2 },
    });
    const now = await owner.get(`/api/v1/flows/${flow.id}`);
    expect(now.body).toMatchObject({ name: 'Shared', draftRevision: 2 });
  });

  it('lets only one of two concurrent saves from the same revision through', async () => {
    const flow = await createFlow(owner, { name: 'Race' });
    const results = await Promise.all(
      [1, 2, 3].map((n) => owner.patch(`/api/v1/flows/${flow.id}`, { name: `Race ${n}`, baseRevision: 1 })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    expect((await owner.get(`/api/v1/flows/${flow.id}`)).body.draftRevision).toBe(2);
  });

  it('needs the base revision to save the draft', async () => {
    const flow = await createFlow(owner, { name: 'No base' });
    const res = await owner.patch(`/api/v1/flows/${flow.id}`, { name: 'Renamed' });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toContainEqual({
      path: 'baseRevision',
      message: 'baseRevision is required when saving the draft: send the draftRevision you loaded',
    });
  });
});

describe('when an invalid draft is published', () => {
  it('answers 400 flow_invalid with every problem, and publishes nothing', async () => {
    const flow = await createFlow(owner, { name: 'Broken publish', document: brokenDocument() });
    const res = await owner.post(`/api/v1/flows/${flow.id}/publish`, {});
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('flow_invalid');
    expect(res.body.error.message).toBe('the flow has 3 problems to fix before it can be published');
    expect(res.body.error.details.map((p: any) => [p.code, p.nodeId ?? p.edgeId])).toEqual(
      expect.arrayContaining([
        ['invalid_config', 'empty-send'],
        ['edge_missing_node', 'b'],
        ['unreachable_node', 'island'],
      ]),
    );
    const after = await owner.get(`/api/v1/flows/${flow.id}`);
    expect(after.body).toMatchObject({ publishedVersion: null, active: false });
    expect((await owner.get(`/api/v1/flows/${flow.id}/versions`)).body.items).toEqual([]);
  });
});

describe('when a valid draft is published', () => {
  let flowId: string;

  beforeAll(async () => {
    flowId = (await createFlow(owner, { name: 'Prices', document: example('keyword-auto-reply.json').document })).id;
  });

  it('creates version 1 with the parsed document and activates the flow', async () => {
    const res = await owner.post(`/api/v1/flows/${flowId}/publish`, { note: 'first' });
    expect(res.status).toBe(201);
    expect(res.body.version).toMatchObject({ flowId, version: 1, note: 'first' });
    expect(res.body.flow).toMatchObject({ active: true, publishedVersion: 1 });
    const v1 = await owner.get(`/api/v1/flows/${flowId}/versions/1`);
    const parsed = validateFlow(example('keyword-auto-reply.json').document);
    expect(parsed.ok).toBe(true);
    expect(v1.body.document).toEqual(parsed.ok ? parsed.flow : null);
    expect((await auditOf(flowId)).find((e) => e.action === 'flow.published')?.details).toMatchObject({ version: 1, activated: true });
  });

  it('keeps version 1 unchanged when the draft is edited, and publishes the edit as version 2', async () => {
    const v1Before = (await owner.get(`/api/v1/flows/${flowId}/versions/1`)).body.document;
    const current = (await owner.get(`/api/v1/flows/${flowId}`)).body;
    const edited = structuredClone(current.document);
    edited.nodes[1].config.text = 'New prices: everything is free';
    const saved = await owner.patch(`/api/v1/flows/${flowId}`, { document: edited, baseRevision: current.draftRevision });
    expect(saved.status).toBe(200);

    expect((await owner.get(`/api/v1/flows/${flowId}/versions/1`)).body.document).toEqual(v1Before);
    expect((await owner.get(`/api/v1/flows/${flowId}`)).body.publishedVersion).toBe(1);

    const second = await owner.post(`/api/v1/flows/${flowId}/publish`, {});
    expect(second.body.version.version).toBe(2);
    expect((await owner.get(`/api/v1/flows/${flowId}/versions/2`)).body.document.nodes[1].config.text).toBe(
      'New prices: everything is free',
    );
    const versions = await owner.get(`/api/v1/flows/${flowId}/versions`);
    expect(versions.body.items.map((v: any) => v.version)).toEqual([2, 1]);
    expect(versions.body.items[0].document).toBeUndefined();
  });

  it('refuses to publish from a stale revision when the editor names it', async () => {
    const current = (await owner.get(`/api/v1/flows/${flowId}`)).body;
    const res = await owner.post(`/api/v1/flows/${flowId}/publish`, { baseRevision: current.draftRevision - 1 });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('draft_conflict');
  });
});

describe('when a flow is activated or deactivated', () => {
  it('refuses to activate a flow that was never published', async () => {
    const flow = await createFlow(owner, { name: 'Never published' });
    const res = await owner.patch(`/api/v1/flows/${flow.id}`, { active: true });
    expect(res.status).toBe(409);
    expect(res.body.error).toEqual({
      code: 'flow_not_published',
      message: `flow ${flow.id} has no published version; publish it, which also activates it`,
    });
    expect((await owner.get(`/api/v1/flows/${flow.id}`)).body.active).toBe(false);
  });

  it('turns a published flow off and on without touching the draft revision, and audits both', async () => {
    const flow = await createFlow(owner, { name: 'Toggle', document: example('business-hours-router.json').document });
    await owner.post(`/api/v1/flows/${flow.id}/publish`, {});
    const off = await owner.patch(`/api/v1/flows/${flow.id}`, { active: false });
    expect(off.body).toMatchObject({ active: false, draftRevision: 1 });
    const on = await owner.patch(`/api/v1/flows/${flow.id}`, { active: true });
    expect(on.body).toMatchObject({ active: true, publishedVersion: 1, draftRevision: 1 });
    expect((await auditOf(flow.id)).map((a) => a.action)).toEqual(['flow.created', 'flow.published', 'flow.deactivated', 'flow.activated']);
  });
});

describe('when a flow is published and later deactivated', () => {
  // A workspace of its own: the other tests leave flows that answer any message.
  let live: ApiClient;
  let liveChannelId: string;

  beforeAll(async () => {
    const signup = await api.client.post('/api/v1/auth/signup', {
      email: 'live@example.com',
      password: 'password-123',
      name: 'Live',
      workspaceName: 'Live',
    });
    live = api.client.as(signup.body.token);
    liveChannelId = (await live.post('/api/v1/channels', { kind: 'sandbox', name: 'S' })).body.id;
  });

  /** Sends `text` as a contact and waits until the engine has handled it (runs start in that transaction). */
  async function say(text: string): Promise<string> {
    const inbound = await live.post(`/api/v1/channels/${liveChannelId}/sandbox/inbound`, { from: '+15550007777', text, name: 'Sam' });
    expect(inbound.status).toBe(202);
    await eventually(async () =>
      (await sql(`select handled_at from messages where id = :id`, { id: inbound.body.messageId }))[0]?.handled_at ? true : undefined,
    );
    return inbound.body.conversationId;
  }

  const runsOf = async (flowId: string) => (await sql(`select id from runs where flow_id = :flowId`, { flowId })).length;
  const replies = async (conversationId: string) =>
    (await sql(`select text from messages where conversation_id = :c and direction = 'outbound' order by id`, { c: conversationId })).map(
      (m) => m.text,
    );

  it('answers the next message after publishing, and starts no run after deactivating', async () => {
    const document = {
      schemaVersion: 1,
      nodes: [
        { id: 't', type: 'message_received', config: { match: { kind: 'keyword', keywords: ['hello-live'] } }, position: { x: 0, y: 0 } },
        { id: 's', type: 'send_message', config: { text: 'live reply' }, position: { x: 1, y: 0 } },
      ],
      edges: [{ id: 'e', source: 't', sourceHandle: 'out', target: 's' }],
    };
    const flow = await createFlow(live, { name: 'Live', document });
    // Handled before publishing: the engine has built (and cached) this workspace's empty trigger index.
    const conversationId = await say('hello-live');
    expect(await runsOf(flow.id)).toBe(0);

    await live.post(`/api/v1/flows/${flow.id}/publish`, {});
    await say('hello-live');
    expect(await runsOf(flow.id)).toBe(1);
    expect(await eventually(async () => ((await replies(conversationId)).includes('live reply') ? true : undefined))).toBe(true);

    await live.patch(`/api/v1/flows/${flow.id}`, { active: false });
    await say('hello-live');
    expect(await runsOf(flow.id)).toBe(1);
  });
});

describe('when a document is checked with the validate endpoint', () => {
  it('answers ok for a valid document and lists the problems of an invalid one', async () => {
    const valid = await agent.post('/api/v1/flows/validate', { document: example('lead-capture.json').document });
    expect(valid.status).toBe(200);
    expect(valid.body).toEqual({ ok: true, problems: [] });
    const invalid = await owner.post('/api/v1/flows/validate', { document: { schemaVersion: 1, nodes: [], edges: [] } });
    expect(invalid.body).toEqual({
      ok: false,
      problems: [{ code: 'no_trigger', message: 'a flow needs at least one trigger (message received, schedule or inbound webhook)' }],
    });
  });
});

describe('when a flow is exported and imported', () => {
  it('creates a new inactive draft with the same name, description and document', async () => {
    const source = await createFlow(owner, {
      name: 'Lead capture',
      description: 'Asks name and email',
      document: example('lead-capture.json').document,
    });
    await owner.post(`/api/v1/flows/${source.id}/publish`, {});
    const exported = await owner.get(`/api/v1/flows/${source.id}/export`);
    expect(exported.status).toBe(200);
    expect(exported.body).toEqual({
      name: 'Lead capture',
      description: 'Asks name and email',
      document: example('lead-capture.json').document,
    });

    const imported = await owner.post('/api/v1/flows/import', exported.body);
    expect(imported.status).toBe(201);
    expect(imported.body.id).not.toBe(source.id);
    expect(imported.body).toMatchObject({
      name: 'Lead capture',
      description: 'Asks name and email',
      active: false,
      publishedVersion: null,
      draftRevision: 1,
      problems: [],
    });
    expect(imported.body.document).toEqual(exported.body.document);

    const renamed = await owner.post('/api/v1/flows/import', { ...exported.body, name: 'Copy' });
    expect(renamed.body.name).toBe('Copy');
  });

  it('exports a published version when asked for one', async () => {
    const flow = await createFlow(owner, { name: 'Versioned', document: example('keyword-auto-reply.json').document });
    await owner.post(`/api/v1/flows/${flow.id}/publish`, {});
    const res = await owner.get(`/api/v1/flows/${flow.id}/export?version=1`);
    expect(res.body.document.nodes[0].config.match.mode).toBe('exact');
    expect((await owner.get(`/api/v1/flows/${flow.id}/export?version=9`)).status).toBe(404);
  });
});

describe('the example flows', () => {
  it('ship the three examples the issue asks for', () => {
    expect(exampleFiles.sort()).toEqual(['business-hours-router.json', 'keyword-auto-reply.json', 'lead-capture.json']);
  });

  it.each(exampleFiles)('%s passes validation and publishes through the import API', async (file) => {
    const exported = example(file);
    const validation = validateFlow(exported.document);
    expect(validation.ok ? [] : validation.problems).toEqual([]);
    const imported = await owner.post('/api/v1/flows/import', exported);
    expect(imported.status).toBe(201);
    const published = await owner.post(`/api/v1/flows/${imported.body.id}/publish`, {});
    expect(published.status).toBe(201);
  });
});

describe('when a run is looked at', () => {
  let flowId: string;
  let runIds: string[];

  beforeAll(async () => {
    flowId = (await createFlow(owner, { name: 'With runs', document: example('keyword-auto-reply.json').document })).id;
    const published = await owner.post(`/api/v1/flows/${flowId}/publish`, {});
    const versionId = published.body.version.id;
    runIds = [newId(), newId(), newId()];
    const statuses = ['completed', 'failed', 'waiting'];
    for (const [i, id] of runIds.entries()) {
      await sql(
        `insert into runs (id, workspace_id, flow_id, flow_version_id, status, current_node_id, state, step_count, trigger, stop_reason, error, started_at, updated_at)
         values (:id, :workspaceId, :flowId, :versionId, :status, 'price-list', cast(:state as jsonb), 2, cast(:trigger as jsonb), null, null, :startedAt, :startedAt)`,
        {
          id,
          workspaceId,
          flowId,
          versionId,
          status: statuses[i],
          state: JSON.stringify({ vars: { apiKey: 'sk-state', plan: 'pro' } }),
          trigger: JSON.stringify({ kind: 'message', text: 'hi' }),
          startedAt: new Date(Date.now() - (3 - i) * 60_000),
        },
      );
    }
    const started = new Date(Date.now() - 60_000);
    const steps = [
      {
        seq: 2,
        nodeId: 'price-list',
        nodeType: 'send_message',
        input: { text: 'Hi Sam', headers: [{ name: 'Authorization', value: 'Bearer abc' }] },
        output: { messageId: 'm1', session: { token: 'tok-123' } },
        port: 'out',
        error: null,
        ms: 40,
      },
      {
        seq: 1,
        nodeId: 'keyword',
        nodeType: 'message_received',
        input: { message: 'hi' },
        output: { matched: 'hi', api_key: 'k-1', password: { hash: 'x' } },
        port: 'out',
        error: null,
        ms: 5,
      },
    ];
    for (const s of steps) {
      await sql(
        `insert into run_steps (id, workspace_id, run_id, seq, node_id, node_type, input, output, port, error, started_at, finished_at)
         values (:id, :workspaceId, :runId, :seq, :nodeId, :nodeType, cast(:input as jsonb), cast(:output as jsonb), :port, null, :startedAt, :finishedAt)`,
        {
          id: newId(),
          workspaceId,
          runId: runIds[0],
          seq: s.seq,
          nodeId: s.nodeId,
          nodeType: s.nodeType,
          input: JSON.stringify(s.input),
          output: JSON.stringify(s.output),
          port: s.port,
          startedAt: started,
          finishedAt: new Date(started.getTime() + s.ms),
        },
      );
    }
  });

  it("lists the flow's runs newest first, a page at a time", async () => {
    const first = await agent.get(`/api/v1/flows/${flowId}/runs?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items.map((r: any) => r.id)).toEqual([runIds[2], runIds[1]]);
    expect(first.body.items[0]).toMatchObject({ flowId, version: 1, status: 'waiting', stepCount: 2 });
    const second = await agent.get(`/api/v1/flows/${flowId}/runs?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((r: any) => r.id)).toEqual([runIds[0]]);
    expect(second.body.nextCursor).toBeNull();
  });

  it('filters runs by status', async () => {
    const res = await owner.get(`/api/v1/flows/${flowId}/runs?status=failed`);
    expect(res.body.items.map((r: any) => r.id)).toEqual([runIds[1]]);
  });

  it('counts the runs of the last day in the flow list', async () => {
    const list = await owner.get('/api/v1/flows?limit=200');
    expect(list.body.items.find((f: any) => f.id === flowId).runsLast24h).toEqual({
      running: 0,
      waiting: 1,
      completed: 1,
      failed: 1,
      stopped: 0,
    });
  });

  it('shows the steps in order with timing, and secrets redacted', async () => {
    const res = await agent.get(`/api/v1/runs/${runIds[0]}`);
    expect(res.status).toBe(200);
    expect(res.body.steps.map((s: any) => [s.seq, s.nodeId, s.port, s.durationMs])).toEqual([
      [1, 'keyword', 'out', 5],
      [2, 'price-list', 'out', 40],
    ]);
    expect(res.body.steps[0].output).toEqual({ matched: 'hi', api_key: '[redacted]', password: '[redacted]' });
    expect(res.body.steps[1].input).toEqual({ text: 'Hi Sam', headers: [{ name: 'Authorization', value: '[redacted]' }] });
    expect(res.body.steps[1].output).toEqual({ messageId: 'm1', session: { token: '[redacted]' } });
    expect(res.body.state).toEqual({ vars: { apiKey: '[redacted]', plan: 'pro' } });
    expect(JSON.stringify(res.body)).not.toMatch(/sk-state|tok-123|Bearer abc|k-1/);
  });

  it('answers 404 to another workspace', async () => {
    expect((await other.get(`/api/v1/runs/${runIds[0]}`)).status).toBe(404);
    expect((await other.get(`/api/v1/flows/${flowId}/runs`)).status).toBe(404);
    expect((await other.get(`/api/v1/flows/${flowId}/versions/1`)).status).toBe(404);
  });
});

describe('when members of each role use flows', () => {
  it('lets an agent read flows but not change them', async () => {
    const flow = await createFlow(owner, { name: 'Read only for agents', document: example('keyword-auto-reply.json').document });
    expect((await agent.get('/api/v1/flows')).status).toBe(200);
    expect((await agent.get(`/api/v1/flows/${flow.id}`)).status).toBe(200);
    for (const res of [
      await agent.post('/api/v1/flows', { name: 'Nope' }),
      await agent.patch(`/api/v1/flows/${flow.id}`, { name: 'Nope', baseRevision: 1 }),
      await agent.post(`/api/v1/flows/${flow.id}/publish`, {}),
      await agent.post('/api/v1/flows/import', example('lead-capture.json')),
      await agent.delete(`/api/v1/flows/${flow.id}`),
      await agent.post(`/api/v1/flows/${flow.id}/webhook-token`),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect((await owner.get(`/api/v1/flows/${flow.id}`)).body).toMatchObject({ name: 'Read only for agents', publishedVersion: null });
  });

  it('lets a marketer build and publish flows', async () => {
    const flow = await createFlow(marketer, { name: 'Campaign', document: example('keyword-auto-reply.json').document });
    expect((await marketer.post(`/api/v1/flows/${flow.id}/publish`, {})).status).toBe(201);
  });
});

describe('when a flow is deleted', () => {
  it('disappears from the API, stops being active and keeps its versions in the database', async () => {
    const flow = await createFlow(owner, { name: 'Doomed', document: example('keyword-auto-reply.json').document });
    await owner.post(`/api/v1/flows/${flow.id}/publish`, {});
    const res = await owner.delete(`/api/v1/flows/${flow.id}`);
    expect(res.status).toBe(204);
    expect((await owner.get(`/api/v1/flows/${flow.id}`)).status).toBe(404);
    expect((await owner.get('/api/v1/flows?limit=200')).body.items.map((f: any) => f.id)).not.toContain(flow.id);
    const [row] = await sql(`select active, deleted_at from flows where id = :id`, { id: flow.id });
    expect(row.active).toBe(false);
    expect(row.deleted_at).not.toBeNull();
    expect(await sql(`select version from flow_versions where flow_id = :id`, { id: flow.id })).toEqual([{ version: 1 }]);
    expect((await auditOf(flow.id)).map((a) => a.action)).toEqual(['flow.created', 'flow.published', 'flow.deleted']);
  });
});

describe('when a webhook token is created', () => {
  it('returns the URL once and stores only the SHA-256 of its token', async () => {
    const flow = await createFlow(owner, { name: 'Hooked' });
    const res = await owner.post(`/api/v1/flows/${flow.id}/webhook-token`);
    expect(res.status).toBe(201);
    const match = /^\/hooks\/flows\/([0-9a-f-]{36})\/([\w-]{43})$/.exec(res.body.path);
    expect(match?.[1]).toBe(flow.id);
    expect(res.body.url.endsWith(res.body.path)).toBe(true);
    const [row] = await sql(`select webhook_token_hash from flows where id = :id`, { id: flow.id });
    expect(row.webhook_token_hash).toBe(createHash('sha256').update(match![2]!).digest('hex'));
    expect((await owner.get(`/api/v1/flows/${flow.id}`)).body.hasWebhookToken).toBe(true);
    expect(JSON.stringify((await owner.get(`/api/v1/flows/${flow.id}`)).body)).not.toContain(match![2]);

    const again = await owner.post(`/api/v1/flows/${flow.id}/webhook-token`);
    expect(again.body.path).not.toBe(res.body.path);
  });

  it('builds its URL from PUBLIC_URL, not from a forged Host or X-Forwarded-Host header', async () => {
    const flow = await createFlow(owner, { name: 'Hooked elsewhere' });
    const res = await postWithHost(`/api/v1/flows/${flow.id}/webhook-token`, 'attacker.example', owner.token!);
    expect(res.status).toBe(201);
    expect(res.body.url).toBe(`${PUBLIC_URL}${res.body.path}`);
  });
});

/** A POST whose Host header names another server (fetch does not let a caller set Host). */
function postWithHost(path: string, host: string, token: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${api.client.baseUrl}${path}`,
      { method: 'POST', headers: { host, 'x-forwarded-host': host, 'x-forwarded-proto': 'http', authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('when the demo workspace is seeded', () => {
  it('has the keyword auto-reply flow published, active on every channel and replying to "hi"', async () => {
    const flows = await sql(
      `select f.id, f.name, f.active, f.published_version, v.document from flows f join flow_versions v on v.flow_id = f.id join workspaces w on w.id = f.workspace_id where w.is_demo`,
    );
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ name: example('keyword-auto-reply.json').name, active: true, published_version: 1 });
    const trigger = flows[0].document.nodes.find((n: any) => n.type === 'message_received');
    expect(trigger.config.channels).toBe('all');
    expect(trigger.config.match.keywords).toContain('hi');
    expect(validateFlow(flows[0].document).ok).toBe(true);
  });

  it('answers "hi" on the demo sandbox channel with the price list', async () => {
    const login = await api.client.post('/api/v1/auth/login', api.env.config.demo);
    expect(login.status).toBe(200);
    const demo = api.client.as(login.body.token);
    const [channel] = (await demo.get('/api/v1/channels')).body.items;
    const inbound = await demo.post(`/api/v1/channels/${channel.id}/sandbox/inbound`, {
      from: '+15550008888',
      text: 'Hi',
      name: 'Visitor',
    });
    expect(inbound.status).toBe(202);
    const reply = await eventually(
      async () =>
        (
          await sql(`select text from messages where conversation_id = :c and direction = 'outbound'`, { c: inbound.body.conversationId })
        )[0]?.text as string | undefined,
    );
    expect(reply).toMatch(/^Hi Visitor! Here is our price list:/);
  });

  it('does not add the flow again when seeded again', async () => {
    await seedDemo(api.env.orm, { email: api.env.config.demo.email, password: api.env.config.demo.password, clock: systemClock });
    expect(await sql(`select f.id from flows f join workspaces w on w.id = f.workspace_id where w.is_demo`)).toHaveLength(1);
  });
});
