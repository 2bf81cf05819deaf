import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from './support/api-client.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { openEventStream } from './support/event-stream.ts';
import { eventually } from './support/eventually.ts';

let api: TestApi;
let client: ApiClient;

beforeAll(async () => {
  // This file's in-process connector role logs in with the self-opening fake socket, never the network.
  process.env.ONEMESSAGE_WA_FAKE_SOCKET = 'auto-open';
  api = await startTestApi();
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'wa@example.com',
    password: 'a long password',
    name: 'Wa',
    workspaceName: 'Wa Co',
  });
  client = api.client.as(signup.body.token);
});

afterAll(async () => {
  await api?.close();
  delete process.env.ONEMESSAGE_WA_FAKE_SOCKET;
});

describe('WhatsApp channels through the API', () => {
  it('creates a WhatsApp channel that waits for a login', async () => {
    const res = await client.post('/api/v1/channels', { kind: 'whatsapp', name: 'Sales phone' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'whatsapp', status: 'disconnected', statusReason: 'not_connected', hasCredentials: false });
  });

  it('connects on POST /connect, with the status moving live on /events to connected', async () => {
    const created = await client.post('/api/v1/channels', { kind: 'whatsapp', name: 'Support phone' });
    const id = created.body.id as string;
    const stream = await openEventStream(client.baseUrl, `/api/v1/channels/${id}/events`, client.token!);
    let events: { event: string; data: any }[];
    try {
      expect(stream.status).toBe(200);
      expect(stream.contentType).toContain('text/event-stream');
      const connect = await client.post(`/api/v1/channels/${id}/connect`, {});
      expect(connect.status).toBe(202);
      expect(connect.body.status).toBe('connecting');
      events = await eventually(
        async () => {
          const got = stream.events();
          return got.some((e) => e.event === 'status' && e.data.status === 'connected') ? got : undefined;
        },
        { timeoutMs: 20_000, what: 'a connected status on the event stream', progress: () => stream.text() },
      );
    } finally {
      await stream.close();
    }
    expect(events[0]).toMatchObject({ event: 'status', data: { status: 'disconnected', reason: 'not_connected' } });
    expect(events.map((e) => e.data.status)).toContain('connected');
    const channel = await client.get(`/api/v1/channels/${id}`);
    expect(channel.body).toMatchObject({ status: 'connected', statusReason: null, displayIdentifier: '+15550009999' });
  });

  it('sends an agent reply through the session held by the connector role, recording the WhatsApp id', async () => {
    const created = await client.post('/api/v1/channels', { kind: 'whatsapp', name: 'Reply phone' });
    const id = created.body.id as string;
    await client.post(`/api/v1/channels/${id}/connect`, {});
    await eventually(async () => ((await client.get(`/api/v1/channels/${id}`)).body.status === 'connected' ? true : undefined));
    const conn = api.env.orm.em.fork().getConnection();
    const [ws] = (await conn.execute(`select workspace_id from channels where id = ?`, [id])) as { workspace_id: string }[];
    const contactId = crypto.randomUUID();
    const conversationId = crypto.randomUUID();
    await conn.execute(`insert into contacts (id, workspace_id, phone, name) values (?, ?, '+15551234567', 'Sam')`, [
      contactId,
      ws!.workspace_id,
    ]);
    await conn.execute(`insert into conversations (id, workspace_id, channel_id, contact_id, status) values (?, ?, ?, ?, 'open')`, [
      conversationId,
      ws!.workspace_id,
      id,
      contactId,
    ]);
    const sent = await client.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'Hello from the team' });
    expect(sent.status).toBe(202);
    const row = await eventually(async () => {
      const [m] = (await conn.execute(`select status, provider_message_id from messages where id = ?`, [sent.body.messageId])) as {
        status: string;
        provider_message_id: string | null;
      }[];
      return m?.status === 'sent' ? m : undefined;
    }, 20_000);
    expect(row.provider_message_id).toMatch(/^me\/[0-9A-F]+$/);
  });

  it('logs out: the keys are wiped and the status says logged_out', async () => {
    const created = await client.post('/api/v1/channels', { kind: 'whatsapp', name: 'Temp phone' });
    const id = created.body.id as string;
    await client.post(`/api/v1/channels/${id}/connect`, {});
    await eventually(async () => ((await client.get(`/api/v1/channels/${id}`)).body.status === 'connected' ? true : undefined));
    const em = api.env.orm.em.fork();
    const keys = async () =>
      ((await em.getConnection().execute(`select count(*)::int as n from whatsapp_auth where channel_id = ?`, [id])) as { n: number }[])[0]!
        .n;
    // The creds write of the login runs beside the status update: wait for it rather than race it.
    await eventually(async () => ((await keys()) > 0 ? true : undefined));
    expect((await client.post(`/api/v1/channels/${id}/logout`)).status).toBe(202);
    await eventually(async () => ((await client.get(`/api/v1/channels/${id}`)).body.status === 'logged_out' ? true : undefined));
    expect(await keys()).toBe(0);
  });

  it('unlinks the number when the channel is deleted', async () => {
    const created = await client.post('/api/v1/channels', { kind: 'whatsapp', name: 'Deleted phone' });
    const id = created.body.id as string;
    await client.post(`/api/v1/channels/${id}/connect`, {});
    await eventually(async () => ((await client.get(`/api/v1/channels/${id}`)).body.status === 'connected' ? true : undefined));
    const conn0 = api.env.orm.em.fork().getConnection();
    await eventually(async () =>
      ((await conn0.execute(`select count(*)::int as n from whatsapp_auth where channel_id = ?`, [id])) as { n: number }[])[0]!.n > 0
        ? true
        : undefined,
    );
    expect((await client.delete(`/api/v1/channels/${id}`)).status).toBe(204);
    const conn = api.env.orm.em.fork().getConnection();
    await eventually(async () =>
      ((await conn.execute(`select count(*)::int as n from whatsapp_auth where channel_id = ?`, [id])) as { n: number }[])[0]!.n === 0
        ? true
        : undefined,
    );
    const [session] = (await conn.execute(`select desired from whatsapp_sessions where channel_id = ?`, [id])) as { desired: boolean }[];
    expect(session!.desired).toBe(false);
  });

  it('refuses connect on a sandbox channel and an invalid pairing phone, with clear errors', async () => {
    const sandbox = await client.post('/api/v1/channels', { kind: 'sandbox', name: 'Test chat' });
    const wrong = await client.post(`/api/v1/channels/${sandbox.body.id}/connect`, {});
    expect(wrong.status).toBe(409);
    expect(wrong.body.error.code).toBe('wrong_channel_kind');
    const wa = await client.post('/api/v1/channels', { kind: 'whatsapp', name: 'Phone' });
    const bad = await client.post(`/api/v1/channels/${wa.body.id}/connect`, { pairingPhone: 'call me' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
  });

  it('validates and stores per-channel settings (pacing caps, groups)', async () => {
    const wa = await client.post('/api/v1/channels', { kind: 'whatsapp', name: 'Settings phone' });
    const bad = await client.patch(`/api/v1/channels/${wa.body.id}/settings`, { pacing: { perMinute: 0 } });
    expect(bad.status).toBe(400);
    const ok = await client.patch(`/api/v1/channels/${wa.body.id}/settings`, { groupsEnabled: true, pacing: { perMinute: 5 } });
    expect(ok.status).toBe(200);
    expect(ok.body.settings).toMatchObject({ groupsEnabled: true, pauseBotOnOwnerMessage: false, pacing: { perMinute: 5, perHour: 200 } });
  });
});
