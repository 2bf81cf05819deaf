import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doc, edge, keywordTrigger, node } from '../engine/flows/flow-document.fixture.ts';
import { SealedBoxError } from '../platform/crypto/sealed-box.ts';
import { testSql } from './support/test-sql.ts';
import { openSecretValue } from '../platform/secrets/secret-seal.ts';
import type { ApiClient, ApiResponse } from './support/api-client.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { eventually } from './support/eventually.ts';

/** Distinctive enough that finding it anywhere means it leaked. */
const VALUE = 'sk_live_Leak7Probe9Value3Zq';
const ROTATED = 'sk_live_Rotated5Probe2Value8Wx';

/** Every text form in which the value could have been written somewhere. */
function forms(value: string): string[] {
  return [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('hex'), encodeURIComponent(value), value.slice(4, -4)];
}

let api: TestApi;
let server: Server;
let port: number;
const received: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
let owner: ApiClient;
let marketer: ApiClient;
let agent: ApiClient;
let ownerB: ApiClient;
let workspaceId: string;
let workspaceBId: string;
let channelId: string;
let phoneSeq = 0;

async function sql<T = any>(query: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(api.env.orm.em.fork(), query, bindings)).rows;
}

async function say(text: string): Promise<{ conversationId: string }> {
  phoneSeq += 1;
  const res = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, {
    from: `+1555${String(7_000_000 + phoneSeq)}`,
    text,
    name: 'Sam',
  });
  expect(res.status).toBe(202);
  return res.body;
}

async function replyIn(conversationId: string): Promise<string> {
  return eventually(
    async () =>
      (
        await sql<{ text: string }>(`select text from messages where conversation_id = :conversationId and direction = 'outbound'`, {
          conversationId,
        })
      )[0]?.text,
  );
}

/** Creates and publishes a flow through the API, as a user would. */
async function publish(name: string, document: unknown): Promise<{ flowId: string; res: ApiResponse }> {
  const created = await owner.post('/api/v1/flows', { name, document });
  expect(created.status).toBe(201);
  return { flowId: created.body.id, res: await owner.post(`/api/v1/flows/${created.body.id}/publish`, {}) };
}

/** A flow: "<keyword>" → POST to the local server with the secret in a header and the body → reply with what the server echoed. */
function payFlow(keyword: string, secretName: string): unknown {
  return doc(
    [
      keywordTrigger('t', [keyword]),
      node('call', 'http_request', {
        method: 'POST',
        url: `http://127.0.0.1:${port}/charge?key={{secrets.${secretName}}}`,
        headers: [{ name: 'Authorization', value: `Bearer {{secrets.${secretName}}}` }],
        body: { key: `{{secrets.${secretName}}}`, phone: '{{contact.phone}}' },
      }),
      node('done', 'send_message', { text: 'echo: {{vars.response.body.echo}}' }),
      node('failed', 'send_message', { text: 'the call failed' }),
    ],
    [edge('t', 'out', 'call'), edge('call', 'success', 'done'), edge('call', 'error', 'failed')],
  );
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body });
      // A careless API that echoes the credential back: the run must not keep it.
      res
        .writeHead(200, { 'content-type': 'application/json', 'x-echo': req.headers.authorization ?? '' })
        .end(JSON.stringify({ echo: req.headers.authorization, body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  api = await startTestApi({ HTTP_ALLOW_HOSTS: '127.0.0.1' });
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'secrets-owner@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Secrets',
  });
  owner = api.client.as(signup.body.token);
  workspaceId = signup.body.workspace.id;
  marketer = api.client.as((await owner.post('/api/v1/api-keys', { name: 'marketing', role: 'marketer' })).body.secret);
  agent = api.client.as((await owner.post('/api/v1/api-keys', { name: 'support', role: 'agent' })).body.secret);
  const signupB = await api.client.post('/api/v1/auth/signup', {
    email: 'secrets-other@example.com',
    password: 'password-123',
    name: 'Other',
    workspaceName: 'Other',
  });
  ownerB = api.client.as(signupB.body.token);
  workspaceBId = signupB.body.workspace.id;
  channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' })).body.id;
});

afterAll(async () => {
  await api?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('when an admin creates a secret', () => {
  let secretId: string;

  it('shows its name and the last 4 characters of its value, never the value', async () => {
    const created = await owner.post('/api/v1/secrets', { name: 'PAY_KEY', value: VALUE });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'PAY_KEY', last4: VALUE.slice(-4), createdBy: { name: 'Owner' } });
    secretId = created.body.id;
    const list = await owner.get('/api/v1/secrets');
    expect(list.body.items).toEqual([created.body]);
    for (const text of [JSON.stringify(created.body), JSON.stringify(list.body)]) expect(text).not.toContain(VALUE);
  });

  it('refuses a second secret of the same name, pointing to the existing one', async () => {
    const again = await owner.post('/api/v1/secrets', { name: 'PAY_KEY', value: 'another-value-123' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'secret_name_taken', details: { id: secretId } });
  });

  it('refuses names that are not NAME-like and values too short to scrub', async () => {
    expect((await owner.post('/api/v1/secrets', { name: 'pay key', value: 'long-enough-value' })).status).toBe(400);
    expect((await owner.post('/api/v1/secrets', { name: 'SHORT', value: 'abc' })).status).toBe(400);
    expect((await owner.post('/api/v1/secrets', { name: 'MULTI', value: 'line-one\r\nX-Injected: 1' })).status).toBe(400);
  });

  it('lets a marketer list the names to pick one, but not create, replace or delete', async () => {
    expect((await marketer.get('/api/v1/secrets')).body.items.map((s: { name: string }) => s.name)).toEqual(['PAY_KEY']);
    expect((await marketer.post('/api/v1/secrets', { name: 'MINE', value: 'marketer-value-1' })).status).toBe(403);
    expect((await marketer.request('patch', `/api/v1/secrets/${secretId}`, { value: 'marketer-value-1' })).status).toBe(403);
    expect((await marketer.request('delete', `/api/v1/secrets/${secretId}`)).status).toBe(403);
  });

  it('shows an agent not even the names', async () => {
    expect((await agent.get('/api/v1/secrets')).status).toBe(403);
  });

  it('seals the value so that the row opens only in its own workspace', async () => {
    const [row] = await sql<{ id: string; name: string; sealed: Buffer }>(
      `select id, name, sealed_value as sealed from workspace_secrets where id = :id`,
      { id: secretId },
    );
    const key = api.env.config.secretKey;
    expect(openSecretValue(key, { workspaceId, secretId: row!.id, name: row!.name }, row!.sealed)).toBe(VALUE);
    expect(() => openSecretValue(key, { workspaceId: workspaceBId, secretId: row!.id, name: row!.name }, row!.sealed)).toThrow(
      SealedBoxError,
    );
  });
});

describe('when a flow sends a secret to an API', () => {
  let flowId: string;
  let conversationId: string;

  beforeAll(async () => {
    const published = await publish('pays', payFlow('pay', 'PAY_KEY'));
    expect(published.res.status).toBe(201);
    flowId = published.flowId;
    conversationId = (await say('pay')).conversationId;
    await replyIn(conversationId);
  });

  it('sends the resolved value in the URL, the header and the body', () => {
    const call = received.find((r) => r.url.startsWith('/charge'))!;
    expect(call.headers.authorization).toBe(`Bearer ${VALUE}`);
    expect(new URL(call.url, 'http://x').searchParams.get('key')).toBe(VALUE);
    expect(JSON.parse(call.body)).toMatchObject({ key: VALUE });
  });

  it('keeps the echoed value out of the run variable, so the reply to the contact names the secret instead', async () => {
    expect(await replyIn(conversationId)).toBe('echo: Bearer [secret PAY_KEY]');
  });

  it('leaves no trace of the value in any table of the database', async () => {
    const tables = await sql<{ name: string }>(
      `select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
    );
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['workspace_secrets', 'runs', 'run_steps', 'audit_log', 'flows', 'flow_versions', 'messages']),
    );
    const dumped = new Map<string, string>();
    for (const { name } of tables) {
      // Every column as text: bytea prints as hex, jsonb as JSON.
      const rows = await sql<{ row: string }>(`select cast(t as text) as row from "${name.replace(/"/g, '""')}" t`);
      dumped.set(name, rows.map((r) => r.row).join('\n'));
    }
    for (const [name, text] of dumped) for (const form of forms(VALUE)) expect(text.includes(form), `${form} in table ${name}`).toBe(false);
    // The dump does read what is there: the template, the last 4 characters and the marker.
    expect(dumped.get('flow_versions')).toContain('{{secrets.PAY_KEY}}');
    expect(dumped.get('workspace_secrets')).toContain(VALUE.slice(-4));
    expect(dumped.get('messages')).toContain('[secret PAY_KEY]');
    const audit = await sql<{ action: string }>(
      `select action from audit_log where workspace_id = :workspaceId and action like 'secret.%'`,
      { workspaceId },
    );
    expect(audit.map((a) => a.action)).toEqual(['secret.created']);
  });

  it('shows the template, never the value, in the export and in the run, even to an agent', async () => {
    const exported = await agent.get(`/api/v1/flows/${flowId}/export?version=1`);
    expect(exported.status).toBe(200);
    expect(JSON.stringify(exported.body)).toContain('Bearer {{secrets.PAY_KEY}}');
    const runs = await agent.get(`/api/v1/flows/${flowId}/runs`);
    const run = await agent.get(`/api/v1/runs/${runs.body.items[0].id}`);
    expect(run.status).toBe(200);
    expect(run.body.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(['t', 'call', 'done']);
    for (const body of [exported.body, runs.body, run.body])
      for (const form of forms(VALUE)) expect(JSON.stringify(body)).not.toContain(form);
  });

  it('sends the new value after the secret is replaced, and audits the replacement without the value', async () => {
    const secretId = (await owner.get('/api/v1/secrets')).body.items[0].id;
    const replaced = await owner.request('patch', `/api/v1/secrets/${secretId}`, { value: ROTATED });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ name: 'PAY_KEY', last4: ROTATED.slice(-4) });
    const before = received.length;
    await replyIn((await say('pay')).conversationId);
    expect(received[before]!.headers.authorization).toBe(`Bearer ${ROTATED}`);
    const audit = await sql<{ action: string; details: unknown }>(
      `select action, details from audit_log where workspace_id = :workspaceId and action like 'secret.%' order by created_at`,
      { workspaceId },
    );
    expect(audit).toEqual([
      { action: 'secret.created', details: { name: 'PAY_KEY' } },
      { action: 'secret.replaced', details: { name: 'PAY_KEY' } },
    ]);
  });
});

describe('when a flow names secrets wrongly', () => {
  it('refuses to publish a flow naming a secret the workspace does not have', async () => {
    const { flowId, res } = await publish('unknown secret', payFlow('nope', 'NO_SUCH_KEY'));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('flow_invalid');
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'secret_unknown', nodeId: 'call' })]));
    const draft = await owner.get(`/api/v1/flows/${flowId}`);
    expect(draft.body.problems.map((p: { code: string }) => p.code)).toContain('secret_unknown');
  });

  it('refuses to publish a flow that would message a secret to a contact', async () => {
    const { res } = await publish(
      'leaky',
      doc([keywordTrigger('t', ['leak']), node('s', 'send_message', { text: 'the key is {{secrets.PAY_KEY}}' })], [edge('t', 'out', 's')]),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      expect.objectContaining({ code: 'secret_not_allowed', nodeId: 's', path: ['nodes', 1, 'config', 'text'] }),
    ]);
  });

  it('publishes a flow with a credential typed into a header, with a warning that points to secrets', async () => {
    const plain = doc(
      [
        keywordTrigger('t', ['plain']),
        node('call', 'http_request', {
          url: `http://127.0.0.1:${port}/plain`,
          headers: [{ name: 'Authorization', value: 'Bearer sk_live_plainTextToken42' }],
        }),
      ],
      [edge('t', 'out', 'call')],
    );
    const validated = await owner.post('/api/v1/flows/validate', { document: plain });
    expect(validated.body).toMatchObject({
      ok: true,
      problems: [{ code: 'credential_in_plain_text', severity: 'warning', nodeId: 'call' }],
    });
    const { res } = await publish('plain header', plain);
    expect(res.status).toBe(201);
    expect(res.body.flow.problems).toEqual([expect.objectContaining({ code: 'credential_in_plain_text', severity: 'warning' })]);
    const before = received.length;
    await say('plain');
    await eventually(async () => (received.length > before ? true : undefined));
    expect(received[before]!.headers.authorization).toBe('Bearer sk_live_plainTextToken42');
  });
});

describe('when a secret is deleted', () => {
  it('refuses while an active flow uses it, listing the flow; once deactivated it goes, and a run that still names it fails with secret_missing', async () => {
    const created = await owner.post('/api/v1/secrets', { name: 'TEMP_KEY', value: 'temporary-value-77' });
    const { flowId, res } = await publish('temp user', payFlow('temp', 'TEMP_KEY'));
    expect(res.status).toBe(201);

    const refused = await owner.request('delete', `/api/v1/secrets/${created.body.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'secret_in_use', details: { flows: [{ id: flowId, name: 'temp user' }] } });

    expect((await owner.patch(`/api/v1/flows/${flowId}`, { active: false })).status).toBe(200);
    expect((await owner.request('delete', `/api/v1/secrets/${created.body.id}`)).status).toBe(204);
    expect((await owner.get('/api/v1/secrets')).body.items.map((s: { name: string }) => s.name)).toEqual(['PAY_KEY']);

    // Activated again without publishing: its version still names the deleted secret.
    expect((await owner.patch(`/api/v1/flows/${flowId}`, { active: true })).status).toBe(200);
    const before = received.length;
    await say('temp');
    const run = await eventually(
      async () =>
        (
          await sql<{ status: string; error: { code: string; message: string } | null }>(
            `select status, error from runs where flow_id = :flowId`,
            { flowId },
          )
        )[0],
    );
    expect(run).toMatchObject({ status: 'failed', error: { code: 'secret_missing' } });
    expect(run.error!.message).toContain('"TEMP_KEY" does not exist');
    expect(received.length).toBe(before);
    const audit = await sql<{ action: string }>(`select action from audit_log where target_id = :id order by created_at`, {
      id: created.body.id,
    });
    expect(audit.map((a) => a.action)).toEqual(['secret.created', 'secret.deleted']);
  });

  it('answers 404 to another workspace, which sees none of these secrets', async () => {
    const mine = (await owner.get('/api/v1/secrets')).body.items[0].id;
    expect((await ownerB.request('delete', `/api/v1/secrets/${mine}`)).status).toBe(404);
    expect((await ownerB.request('patch', `/api/v1/secrets/${mine}`, { value: 'hijacked-value-1' })).status).toBe(404);
    expect((await ownerB.get('/api/v1/secrets')).body.items).toEqual([]);
  });
});

// Regression: the URL parser writes an apostrophe of a query as %27, which encodeURIComponent
// leaves as is, so the form of the value in a failed call's URL (quoted by the error message the
// run keeps and an agent reads) was not among the forms scrubbed.
describe('when a call with a secret holding an apostrophe in its URL fails', () => {
  const QUOTED = "sk_live_it's-Quoted7Value";

  it('keeps the value out of the run and the reply in the form the URL gives it too', async () => {
    expect((await owner.post('/api/v1/secrets', { name: 'QUOTED_KEY', value: QUOTED })).status).toBe(201);
    const { flowId, res } = await publish(
      'quoted',
      doc(
        [
          keywordTrigger('t', ['quoted']),
          // Nothing listens on port 1: the call fails, and the error quotes the URL.
          node('call', 'http_request', { method: 'GET', url: 'http://127.0.0.1:1/charge?key={{secrets.QUOTED_KEY}}' }),
          node('failed', 'send_message', { text: 'failed: {{vars.response.error.message}}' }),
        ],
        [edge('t', 'out', 'call'), edge('call', 'error', 'failed')],
      ),
    );
    expect(res.status).toBe(201);
    const reply = await replyIn((await say('quoted')).conversationId);
    expect(reply).toContain('could not reach http://127.0.0.1:1/charge?key=[secret QUOTED_KEY]');
    const run = await agent.get(`/api/v1/runs/${(await agent.get(`/api/v1/flows/${flowId}/runs`)).body.items[0].id}`);
    const urlForm = new URL(`http://x/?key=${encodeURIComponent(QUOTED)}`).search.slice('?key='.length);
    for (const text of [reply, JSON.stringify(run.body)]) for (const form of [...forms(QUOTED), urlForm]) expect(text).not.toContain(form);
  });
});
