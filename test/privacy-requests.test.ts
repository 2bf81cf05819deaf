import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneHash } from '../connectors/retention/contact-erasure.sql.ts';
import { expireExports } from '../connectors/retention/contact-export.ts';
import { removePendingFiles } from '../connectors/retention/privacy-files.ts';
import { deleteDueWorkspaces } from '../connectors/retention/workspace-deletion.ts';
import { createLogger } from '../platform/logger.ts';
import { newId } from '../platform/ids.ts';
import { testSql } from './support/test-sql.ts';
import { LocalMediaStore } from '../connectors/whatsapp/media-store.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { eventually } from './support/eventually.ts';
import { inviteMember } from './support/invite-member.ts';
import { publishFlow } from './support/publish-flow.ts';
import { seedMessages, seedRun } from './support/privacy-fixture.ts';

const PHONE = '+15557654321';
const OTHER_PHONE = '+15551110000';
let api: TestApi;
let owner: ApiClient;
let workspaceId: string;
let channelId: string;
const dataDir = `/tmp/onemessage-privacy-test-${process.pid}`;
const mediaDir = `${dataDir}/media`;

async function sql<T = Record<string, unknown>>(text: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(api.env.orm.em.fork(), text, bindings)).rows;
}

async function inbound(from: string, text: string): Promise<{ contactId: string; conversationId: string; messageId: string }> {
  const res = await owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, { from, text, name: 'Private Person' });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  await eventually(async () =>
    (await sql(`select 1 from messages where id = :id and handled_at is not null`, { id: res.body.messageId })).length ? true : undefined,
  );
  return res.body;
}

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

beforeAll(async () => {
  api = await startTestApi({ ONEMESSAGE_DATA_DIR: dataDir });
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'owner@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Privacy',
  });
  owner = api.client.as(signup.body.token);
  workspaceId = signup.body.workspace.id;
  channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Sandbox' })).body.id;
});

afterAll(async () => {
  await api?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the consent history', () => {
  it('records opt-outs and opt-ins from a keyword, a flow node and the API, with time, source and channel', async () => {
    await publishFlow(api, workspaceId, {
      schemaVersion: 1,
      nodes: [
        {
          id: 't',
          type: 'message_received',
          label: 'no more please',
          config: {
            channels: 'all',
            match: { kind: 'keyword', mode: 'exact', keywords: ['no more please'], caseInsensitive: true },
            firstMessageOnly: false,
          },
          position: { x: 0, y: 0 },
        },
        { id: 'o', type: 'opt_out', label: 'Opt out', config: {}, position: { x: 300, y: 0 } },
      ],
      edges: [{ id: 'e', source: 't', sourceHandle: 'out', target: 'o' }],
    });
    const first = await inbound(OTHER_PHONE, 'hello');
    await inbound(OTHER_PHONE, 'STOP');
    await inbound(OTHER_PHONE, 'START');
    await inbound(OTHER_PHONE, 'no more please');
    expect((await owner.patch(`/api/v1/contacts/${first.contactId}`, { optedOut: false })).status).toBe(200);
    expect((await owner.patch(`/api/v1/contacts/${first.contactId}`, { restricted: true })).status).toBe(200);
    // No change, no entry.
    expect((await owner.patch(`/api/v1/contacts/${first.contactId}`, { restricted: true })).status).toBe(200);
    const history = await owner.get(`/api/v1/contacts/${first.contactId}/consent`);
    expect(history.status).toBe(200);
    expect(history.body.items.map((e: any) => [e.action, e.source, e.channelId])).toEqual([
      ['opt_out', 'keyword', channelId],
      ['opt_in', 'keyword', channelId],
      ['opt_out', 'node', channelId],
      ['opt_in', 'api', null],
      ['restrict', 'api', null],
    ]);
    for (const e of history.body.items) expect(Date.parse(e.at)).toBeGreaterThan(Date.now() - 120_000);
  });

  it('stops the automation of a restricted contact but keeps its data', async () => {
    const c = await inbound('+15552223333', 'hello');
    const flow = await sql<{ flowId: string; versionId: string }>(
      `select flow_id as "flowId", id as "versionId" from flow_versions where workspace_id = :workspaceId limit 1`,
      { workspaceId },
    );
    const runId = await seedRun(api.env.orm.em.fork(), {
      workspaceId,
      ...flow[0]!,
      contactId: c.contactId,
      conversationId: c.conversationId,
      channelId,
      status: 'waiting',
      ageDays: 0,
      steps: 1,
    });
    expect((await owner.patch(`/api/v1/contacts/${c.contactId}`, { restricted: true })).status).toBe(200);
    const run = (
      await sql<{ status: string; stopReason: string }>(`select status, stop_reason as "stopReason" from runs where id = :runId`, { runId })
    )[0]!;
    expect(run.status).toBe('stopped');
    expect(run.stopReason).toContain('restricted');
    expect(await sql(`select 1 from messages where contact_id = :id`, { id: c.contactId })).toHaveLength(1);
    // A broadcast skips them, with the reason counted.
    const broadcast = await owner.post('/api/v1/broadcasts', {
      name: 'B',
      channelId,
      audience: { kind: 'phones', phones: ['+15552223333', '+15552224444'] },
      content: { kind: 'message', text: 'Hi' },
      schedule: { kind: 'now' },
    });
    expect(broadcast.status, JSON.stringify(broadcast.body)).toBe(201);
    const scheduled = await owner.post(`/api/v1/broadcasts/${broadcast.body.id}/schedule`, {});
    expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(200);
    const skipped = await eventually(
      async () =>
        (
          await sql<{ skipReason: string }>(
            `select skip_reason as "skipReason" from broadcast_recipients where broadcast_id = :id and contact_id = :contactId`,
            { id: broadcast.body.id, contactId: c.contactId },
          )
        )[0],
      15_000,
    );
    expect(skipped.skipReason).toBe('restricted');
  });
});

describe('when a contact asks for their data and then to be erased', () => {
  const person: Record<string, any> = {};

  beforeAll(async () => {
    const first = await inbound(PHONE, 'my private words');
    Object.assign(person, first);
    const em = api.env.orm.em.fork();
    person.media = await seedMessages(em, {
      workspaceId,
      channelId,
      contactId: first.contactId,
      conversationId: first.conversationId,
      count: 6,
      ageDays: 1,
      text: 'private media caption',
      mediaDir,
    });
    const flow = await sql<{ flowId: string; versionId: string }>(
      `select flow_id as "flowId", id as "versionId" from flow_versions where workspace_id = :workspaceId limit 1`,
      { workspaceId },
    );
    person.runId = await seedRun(em, {
      workspaceId,
      ...flow[0]!,
      contactId: first.contactId,
      conversationId: first.conversationId,
      channelId,
      status: 'waiting',
      ageDays: 0,
      steps: 2,
    });
    // What else names them: the WhatsApp copy of what we sent, a broadcast (its audience and recipient row), consent, usage paths.
    await sql(
      `insert into whatsapp_sent_content (channel_id, wa_message_id, content) select channel_id, provider_message_id, '\\x00' from messages where contact_id = :id and direction = 'outbound'`,
      { id: first.contactId },
    );
    person.broadcast = (
      await owner.post('/api/v1/broadcasts', {
        name: 'Promo',
        channelId,
        audience: { kind: 'phones', phones: [PHONE, '+15559998888'] },
        content: { kind: 'message', text: 'Promo' },
        schedule: { kind: 'at', localTime: '2099-01-01T09:00', timezone: 'UTC' },
      })
    ).body.id;
    const otherContact = (await inbound('+15559998888', 'other person')).contactId;
    person.otherContact = otherContact;
    for (const contactId of [first.contactId, otherContact]) {
      await sql(
        `insert into broadcast_recipients (id, broadcast_id, workspace_id, contact_id, batch, state, message_id) values (:id, :b, :workspaceId, :contactId, 0, 'queued', :m)`,
        { id: newId(), b: person.broadcast, workspaceId, contactId, m: newId() },
      );
    }
    expect((await owner.patch(`/api/v1/contacts/${first.contactId}`, { optedOut: true, name: 'Private Person Renamed' })).status).toBe(200);
    expect((await owner.get(`/api/v1/contacts/${first.contactId}`)).status).toBe(200);
  });

  it('exports everything about them as one zip archive with progress, downloadable by admins only', async () => {
    const requested = await owner.post(`/api/v1/contacts/${person.contactId}/export`, {});
    expect(requested.status, JSON.stringify(requested.body)).toBe(202);
    expect(requested.body.status).toBe('queued');
    const ready = await eventually(async () => {
      const res = await owner.get(`/api/v1/exports/${requested.body.id}`);
      return res.body.status === 'ready' || res.body.status === 'failed' ? res.body : undefined;
    }, 30_000);
    expect(ready).toMatchObject({ status: 'ready', progress: 100, downloadPath: `/api/v1/exports/${requested.body.id}/download` });
    expect(Date.parse(ready.expiresAt) - Date.parse(ready.finishedAt)).toBe(7 * 86_400_000);
    person.exportId = requested.body.id;

    const agent = await inviteMember(owner, { email: 'agent@example.com', role: 'agent', name: 'Agent', password: 'password-agent' });
    expect((await agent.client.get(`/api/v1/exports/${person.exportId}/download`)).status).toBe(403);
    expect((await agent.client.post(`/api/v1/contacts/${person.contactId}/export`, {})).status).toBe(403);

    const res = await fetch(`${owner.baseUrl}${ready.downloadPath}`, { headers: { authorization: `Bearer ${owner.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('zip');
    const zipPath = join(dataDir, 'download.zip');
    await writeFile(zipPath, Buffer.from(await res.arrayBuffer()));
    const read = (name: string) => JSON.parse(execFileSync('unzip', ['-p', zipPath, name]).toString());
    const manifest = read('manifest.json');
    expect(manifest).toMatchObject({
      format: 'onemessage.contact-export',
      version: 2,
      contactId: person.contactId,
      counts: { conversations: 1, messages: 7, mediaFiles: 2, runs: 1 },
    });
    const contact = read('contact.json');
    expect(contact.contact).toMatchObject({ id: person.contactId, phone: PHONE, name: 'Private Person Renamed' });
    expect(contact.identities.map((i: any) => i.value)).toContain(PHONE);
    const messages = read('messages.json');
    expect(messages.map((m: any) => m.text)).toContain('my private words');
    const withFile = messages.filter((m: any) => m.mediaFile);
    expect(withFile).toHaveLength(2);
    for (const m of withFile) expect(execFileSync('unzip', ['-p', zipPath, m.mediaFile]).length).toBe(1_000);
    expect(read('runs.json')[0].steps).toHaveLength(2);
    const consent = read('consent.json');
    expect(consent.optedOutAt).toBeTruthy();
    expect(consent.history.map((h: any) => [h.action, h.source])).toEqual([['opt_out', 'api']]);
    expect(read('broadcasts.json')).toEqual([expect.objectContaining({ broadcastId: person.broadcast, broadcastName: 'Promo' })]);
    expect(read('notes.json')).toEqual(
      expect.objectContaining({ conversation_events: expect.any(Array), conversation_notes: expect.any(Array) }),
    );
    expect(Object.keys(read('conversations.json')[0])).toContain('status');
  });

  it('refuses erasure under a legal hold on one of their conversations, saying why', async () => {
    const hold = await owner.post('/api/v1/legal-holds', {
      scope: 'conversation',
      conversationId: person.conversationId,
      reason: 'Complaint 7',
    });
    expect(hold.status).toBe(201);
    const refused = await owner.post(`/api/v1/contacts/${person.contactId}/erase`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('legal_hold');
    expect(refused.body.error.message).toContain('legal hold');
    expect(refused.body.error.message).toContain('Complaint 7');
    expect((await owner.get(`/api/v1/contacts/${person.contactId}`)).status).toBe(200);
    expect((await owner.delete(`/api/v1/legal-holds/${hold.body.id}`)).status).toBe(200);
  });

  it('erases them from every table that refers to a contact, from the media store and from Redis', async () => {
    const messageIds = (await sql<{ id: string }>(`select id from messages where contact_id = :id`, { id: person.contactId })).map(
      (r) => r.id,
    );
    const storageKeys = (
      await sql<{ key: string }>(`select media ->> 'storageKey' as key from messages where contact_id = :id and media ? 'storageKey'`, {
        id: person.contactId,
      })
    ).map((r) => r.key);
    expect(storageKeys.length).toBeGreaterThan(0);
    const exportFile = join(dataDir, 'exports', workspaceId, `${person.exportId}.zip`);
    expect(existsSync(exportFile)).toBe(true);
    person.recipientsBefore = (await sql(`select 1 from broadcast_recipients where broadcast_id = :b`, { b: person.broadcast })).length;

    const erased = await owner.post(`/api/v1/contacts/${person.contactId}/erase`, {});
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(erased.body.counts).toMatchObject({ messages: 7, conversations: 1, runs: 1, broadcastRecipients: 1 });
    expect((await owner.get(`/api/v1/contacts/${person.contactId}`)).status).toBe(404);

    // Every table with a contact or conversation reference, read from the schema (a table added later is checked too).
    const refs = await sql<{ table: string; column: string; refers: string }>(
      `select tc.relname as "table", a.attname as "column", rc.relname as refers
         from pg_constraint k join pg_class tc on tc.oid = k.conrelid join pg_class rc on rc.oid = k.confrelid
         join pg_attribute a on a.attrelid = k.conrelid and a.attnum = any(k.conkey)
        where k.contype = 'f' and rc.relname in ('contacts', 'conversations')
       union
       select table_name, column_name, case when column_name like '%conversation%' then 'conversations' else 'contacts' end
         from information_schema.columns where table_schema = 'public' and (column_name like '%contact_id' or column_name like '%conversation_id')`,
    );
    expect(refs.map((r) => r.table)).toEqual(
      expect.arrayContaining([
        'messages',
        'runs',
        'contact_identities',
        'conversations',
        'broadcast_recipients',
        'consent_events',
        'contact_exports',
        'legal_holds',
      ]),
    );
    for (const ref of refs) {
      const ids = ref.refers === 'contacts' ? [person.contactId] : [person.conversationId];
      const rows = await sql(`select 1 from "${ref.table}" where "${ref.column}" = any(cast(:ids as uuid[]))`, { ids });
      expect(rows, `${ref.table}.${ref.column}`).toEqual([]);
    }
    expect(await sql(`select 1 from contacts where id = :id`, { id: person.contactId })).toEqual([]);
    // Steps refer to their run, not to the contact: gone with it.
    expect(await sql(`select 1 from run_steps where run_id = :id`, { id: person.runId })).toEqual([]);
    // No row of any table mentions their phone, their contact id or their words.
    const tables = await sql<{ table: string }>(
      `select table_name as "table" from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
    );
    for (const { table } of tables) {
      for (const needle of [PHONE.slice(1), person.contactId, person.runId, 'my private words', 'private media caption']) {
        const hits = await sql(`select 1 from "${table}" t where t::text like :pattern limit 1`, { pattern: `%${needle}%` });
        expect(hits, `${table} still holds ${needle}`).toEqual([]);
      }
    }
    // The media store holds none of their files, and their export archive is gone.
    const media = new LocalMediaStore(mediaDir);
    for (const key of storageKeys) await expect(media.get(key)).rejects.toThrow();
    const remaining = await filesUnder(mediaDir);
    for (const key of storageKeys) expect(remaining.some((f) => f.endsWith(key))).toBe(false);
    expect(existsSync(exportFile)).toBe(false);
    // Redis holds no job naming their messages.
    const keys = await api.env.redis.keys(`${api.env.config.redisPrefix}:*`);
    for (const id of [...messageIds, person.contactId]) expect(keys.filter((k) => k.includes(id))).toEqual([]);
  });

  it('keeps broadcast totals with an anonymous tombstone, and others untouched', async () => {
    expect(await sql(`select 1 from broadcast_recipients where broadcast_id = :b`, { b: person.broadcast })).toHaveLength(
      person.recipientsBefore,
    );
    const rows = await sql<{ contactId: string | null; erasedAt: Date | null }>(
      `select contact_id as "contactId", erased_at as "erasedAt" from broadcast_recipients where broadcast_id = :b order by contact_id nulls first`,
      { b: person.broadcast },
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ contactId: null });
    expect(rows[0]!.erasedAt).not.toBeNull();
    expect(rows[1]!.contactId).toBe(person.otherContact);
    const broadcast = await owner.get(`/api/v1/broadcasts/${person.broadcast}`);
    expect(broadcast.body.audience.phones).toEqual(['+15559998888']);
    expect((await owner.get(`/api/v1/contacts/${person.otherContact}`)).status).toBe(200);
  });

  it('is audited with a salted hash of the phone and counts, never the data', async () => {
    const entries = await sql<{ details: any; targetId: string | null }>(
      `select details, target_id as "targetId" from audit_log where action = 'contact.erased'`,
    );
    expect(entries).toHaveLength(1);
    const hash = phoneHash(api.env.config.secretKey, workspaceId, PHONE);
    expect(entries[0]!.details.phoneHash).toBe(hash);
    expect(JSON.stringify(entries[0])).not.toContain(PHONE.slice(2));
  });

  it('deletes an export archive after its 7 days', async () => {
    const c = await inbound('+15554443333', 'export me');
    const requested = await owner.post(`/api/v1/contacts/${c.contactId}/export`, {});
    await eventually(
      async () => ((await owner.get(`/api/v1/exports/${requested.body.id}`)).body.status === 'ready' ? true : undefined),
      30_000,
    );
    const file = join(dataDir, 'exports', workspaceId, `${requested.body.id}.zip`);
    expect(existsSync(file)).toBe(true);
    const em = api.env.orm.em.fork();
    await expireExports(em, new Date(Date.now() + 7 * 86_400_000 + 60_000));
    await removePendingFiles(em, { media: new LocalMediaStore(mediaDir), exportsDir: join(dataDir, 'exports') });
    expect(existsSync(file)).toBe(false);
    const res = await owner.get(`/api/v1/exports/${requested.body.id}/download`);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('expired');
  });
});

describe('platform users', () => {
  it('lets a user delete their own account, with their usage data, but not the only owner of a shared workspace', async () => {
    const agent = await inviteMember(owner, { email: 'leaving@example.com', role: 'agent', name: 'Leaving', password: 'password-leaving' });
    await agent.client.get('/api/v1/contacts');
    await eventually(
      async () => ((await sql(`select 1 from usage_events where user_id = :id`, { id: agent.userId })).length ? true : undefined),
      15_000,
    );
    expect((await agent.client.request('delete', '/api/v1/auth/account', { password: 'wrong' })).status).toBe(403);
    const deleted = await agent.client.request('delete', '/api/v1/auth/account', { password: 'password-leaving' });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(await sql(`select 1 from users where id = :id`, { id: agent.userId })).toEqual([]);
    expect(await sql(`select 1 from usage_events where user_id = :id`, { id: agent.userId })).toEqual([]);
    expect((await agent.client.get('/api/v1/contacts')).status).toBe(401);
    const refused = await owner.request('delete', '/api/v1/auth/account', { password: 'password-123' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('sole_owner');
  });

  it('deletes a workspace with everything in it once its grace period is over, and not before', async () => {
    const signup = await api.client.post('/api/v1/auth/signup', {
      email: 'leaver@example.com',
      password: 'password-456',
      name: 'Leaver',
      workspaceName: 'Going',
    });
    const leaver = api.client.as(signup.body.token);
    const id = signup.body.workspace.id;
    const channel = (await leaver.post('/api/v1/channels', { kind: 'sandbox', name: 'S' })).body.id;
    await leaver.post(`/api/v1/channels/${channel}/sandbox/inbound`, { from: '+15556667777', text: 'bye' });
    await writeFile(join(mediaDir, 'placeholder'), '');
    const scheduled = await leaver.post('/api/v1/workspace/deletion', {});
    expect(scheduled.status).toBe(202);
    expect(Date.parse(scheduled.body.dueAt) - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    const deps = {
      orm: api.env.orm,
      files: { media: new LocalMediaStore(mediaDir), exportsDir: join(dataDir, 'exports') },
      config: { ...api.env.config, dataDir },
      logger: createLogger('silent'),
    };
    expect(await deleteDueWorkspaces(deps, new Date())).toEqual([]);
    expect(await deleteDueWorkspaces(deps, new Date(Date.now() + 8 * 86_400_000))).toEqual([id]);
    for (const table of ['workspaces', 'channels', 'contacts', 'messages', 'memberships', 'usage_events']) {
      const column = table === 'workspaces' ? 'id' : 'workspace_id';
      expect(await sql(`select 1 from ${table} where ${column} = :id`, { id }), table).toEqual([]);
    }
    expect((await sql(`select 1 from audit_log where action = 'workspace.deleted' and target_id = :id`, { id })).length).toBe(1);
    expect(await readFile(join(mediaDir, 'placeholder'), 'utf8')).toBe('');
  });
});
