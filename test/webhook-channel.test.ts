import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafeHttpClient } from '../connectors/http/safe-http-client.ts';
import { WebhookConnector } from '../connectors/webhook/webhook.connector.ts';
import { WebhookChannels } from '../connectors/webhook/webhook-channels.ts';
import { claimSends, sendRefusal } from '../platform/pipeline/send-claim.ts';
import { WebhookDeliveryRefusedError, WebhookDeliveryRetryError } from '../connectors/webhook/webhook-send.errors.ts';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER, verifyWebhook } from '../connectors/webhook/webhook-signature.ts';
import { systemClock } from '../engine/clock.ts';
import type { ApiClient } from './support/api-client.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';

let api: TestApi;
let client: ApiClient;
let channelId: string;
let secret: string;

/** A local receiving service: records requests, answers with `nextStatus`. */
let receiver: Server;
let receiverUrl: string;
const received: { headers: IncomingMessage['headers']; body: string }[] = [];
let nextStatus = 200;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(nextStatus, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/inbox`;
  api = await startTestApi();
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'hook@example.com',
    password: 'a long password',
    name: 'Hook',
    workspaceName: 'Hook Co',
  });
  client = api.client.as(signup.body.token);
  const created = await client.post('/api/v1/channels', { kind: 'webhook', name: 'Other service', url: receiverUrl });
  expect(created.status).toBe(201);
  channelId = created.body.id;
  secret = created.body.webhookSecret;
});

afterAll(async () => {
  await api?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

function signedPost(body: unknown, opts: { timestampS?: number; secret?: string; id?: string } = {}) {
  const raw = JSON.stringify(body);
  const ts = opts.timestampS ?? Math.floor(Date.now() / 1000);
  return client.request('post', `/hooks/channels/${opts.id ?? channelId}`, undefined, {
    rawBody: raw,
    headers: { [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signWebhook(opts.secret ?? secret, ts, raw) },
  });
}

const message = (id: string, text = 'hello') => ({
  event: 'message',
  id,
  from: { id: 'user-42', phone: '+15551234567', name: 'Sam' },
  text,
});

describe('webhook channel inbound (POST /hooks/channels/:id)', () => {
  it('shows the signing secret once, at creation, and never in reads', async () => {
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    const read = await client.get(`/api/v1/channels/${channelId}`);
    expect(read.body).toMatchObject({ kind: 'webhook', status: 'connected', hasCredentials: true, settings: { url: receiverUrl } });
    expect(read.body.webhookSecret).toBeUndefined();
  });

  it('stores a signed message, and a repeat of the same sender id only once', async () => {
    const first = await signedPost(message('ext-1'));
    expect(first.status).toBe(202);
    expect(first.body.duplicate).toBe(false);
    const again = await signedPost(message('ext-1'));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, messageId: first.body.messageId });
    const [row] = (await api.env.orm.em
      .fork()
      .getConnection()
      .execute(`select count(*)::int as n from messages where channel_id = ? and provider_message_id = 'ext-1'`, [channelId])) as {
      n: number;
    }[];
    expect(row!.n).toBe(1);
  });

  it('refuses a bad signature and a timestamp older than 5 minutes with 401', async () => {
    const bad = await signedPost(message('ext-2'), { secret: 'f'.repeat(64) });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('bad_signature');
    const stale = await signedPost(message('ext-3'), { timestampS: Math.floor(Date.now() / 1000) - 301 });
    expect(stale.status).toBe(401);
    expect(stale.body.error.code).toBe('stale_timestamp');
    const unsigned = await client.request('post', `/hooks/channels/${channelId}`, message('ext-4'));
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.error.code).toBe('missing_signature');
  });

  it('refuses an invalid payload with the problems listed, and an unknown channel with 404', async () => {
    const invalid = await signedPost({ event: 'message', id: '', from: { id: 'u' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('validation_failed');
    expect(invalid.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'id' })]));
    const unknown = await signedPost(message('ext-5'), { id: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.status).toBe(404);
  });

  it('refuses a signed body nested 30,000 levels deep with 400 body_too_deep, and still takes the next message', async () => {
    const raw = `{"event": "message", "id": "deep", "text": ${'['.repeat(30_000)}${']'.repeat(30_000)}}`;
    const ts = Math.floor(Date.now() / 1000);
    const res = await client.request('post', `/hooks/channels/${channelId}`, undefined, {
      rawBody: raw,
      headers: { [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signWebhook(secret, ts, raw) },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('body_too_deep');
    expect((await signedPost(message('after-deep'))).status).toBe(202);
  });

  it('refuses a signed message holding the NUL character with 400 nul_character, naming where (it cannot be stored)', async () => {
    const res = await signedPost(message('nul-1', 'a\u0000b'));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'nul_character', details: { path: 'text' } });
    expect((await signedPost(message('nul-2', 'fine'))).status).toBe(202);
  });

  it('accepts delivery statuses on the callback, forward only', async () => {
    const inbound = await signedPost(message('ext-6'));
    const em = api.env.orm.em.fork();
    const conn = em.getConnection();
    const [ws] = (await conn.execute(`select workspace_id from channels where id = ?`, [channelId])) as { workspace_id: string }[];
    await conn.execute(
      `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, provider_message_id, type, text, status, status_times) values (gen_random_uuid(), ?, ?, ?, ?, 'outbound', 'bot', 'our-msg-1', 'text', 'hi', 'sent', '{}')`,
      [ws!.workspace_id, channelId, inbound.body.conversationId, inbound.body.contactId],
    );
    expect((await signedPost({ event: 'status', messageId: 'our-msg-1', status: 'read' })).body).toEqual({ applied: true });
    expect((await signedPost({ event: 'status', messageId: 'our-msg-1', status: 'delivered' })).body).toEqual({ applied: false });
    const [row] = (await conn.execute(`select status from messages where provider_message_id = 'our-msg-1'`)) as { status: string }[];
    expect(row!.status).toBe('read');
  });
});

const connector = () =>
  new WebhookConnector({
    channels: new WebhookChannels({ orm: api.env.orm, secretKey: api.env.config.secretKey }),
    http: new SafeHttpClient({ allowHosts: ['127.0.0.1'] }),
    clock: systemClock,
  });

describe('a deleted webhook channel, after its URL and secret were read', () => {
  it('answers a signed message and a signed status with 404, and the send claim refuses its queued messages', async () => {
    const created = await client.post('/api/v1/channels', { kind: 'webhook', name: 'Soon gone', url: receiverUrl });
    const gone = { id: created.body.id as string, secret: created.body.webhookSecret as string };
    const inbound = await signedPost(message('gone-1'), gone);
    expect(inbound.status).toBe(202);
    const keys = new WebhookChannels({ orm: api.env.orm, secretKey: api.env.config.secretKey });
    expect((await keys.keysOf(gone.id))?.url).toBe(receiverUrl);
    const em = api.env.orm.em.fork();
    const [queued] = (await em.getConnection().execute(
      `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, idempotency_key, type, text, status, status_times)
         select gen_random_uuid(), workspace_id, id, ?, ?, 'outbound', 'bot', 'gone-reply', 'text', 'hi', 'queued', '{}' from channels where id = ? returning id`,
      [inbound.body.conversationId, inbound.body.contactId, gone.id],
    )) as { id: string }[];

    expect((await client.delete(`/api/v1/channels/${gone.id}`)).status).toBe(204);

    const message2 = await signedPost(message('gone-2'), gone);
    expect(message2.status).toBe(404);
    expect(message2.body.error.code).toBe('not_found');
    const status = await signedPost({ event: 'status', messageId: 'gone-msg', status: 'read' }, gone);
    expect(status.status).toBe(404);
    expect(await keys.isLive(gone.id)).toBe(false);
    const [claimed] = await claimSends(em, [queued!.id], new Date(), []);
    expect(sendRefusal(claimed!, undefined)).toBe('channel_deleted');
  });
});

describe('webhook channel outbound (WebhookConnector)', () => {
  const send = (messageId: string) => ({
    messageId,
    workspaceId: crypto.randomUUID(),
    channelId,
    idempotencyKey: 'k',
    to: { contactId: crypto.randomUUID(), phone: '+15551234567', externalIds: [{ kind: 'external', value: 'user-42' }] },
    type: 'text' as const,
    text: 'hi there',
    media: null,
  });

  it('POSTs the message to the channel URL, signed with the channel secret, and answers our id as the provider id', async () => {
    nextStatus = 200;
    received.splice(0);
    const receipt = await connector().send(send('11111111-1111-4111-8111-111111111111'));
    expect(receipt.providerMessageId).toBe('11111111-1111-4111-8111-111111111111');
    const [req] = received;
    expect(JSON.parse(req!.body)).toMatchObject({
      event: 'message',
      id: '11111111-1111-4111-8111-111111111111',
      text: 'hi there',
      to: { phone: '+15551234567' },
    });
    expect(
      verifyWebhook(
        secret,
        { timestamp: req!.headers[TIMESTAMP_HEADER] as string, signature: req!.headers[SIGNATURE_HEADER] as string },
        Buffer.from(req!.body),
        Date.now(),
      ),
    ).toBeNull();
  });

  it('asks for a retry on 5xx and 429, and fails for good on other 4xx', async () => {
    nextStatus = 503;
    await expect(connector().send(send(crypto.randomUUID()))).rejects.toBeInstanceOf(WebhookDeliveryRetryError);
    nextStatus = 429;
    const limited = await connector()
      .send(send(crypto.randomUUID()))
      .catch((e: unknown) => e);
    expect((limited as WebhookDeliveryRetryError).disposition).toBe('retry');
    nextStatus = 422;
    const refused = await connector()
      .send(send(crypto.randomUUID()))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WebhookDeliveryRefusedError);
    expect((refused as WebhookDeliveryRefusedError).message).toBe(`channel ${channelId}: the webhook refused the message with 422`);
    expect((refused as WebhookDeliveryRefusedError).disposition).toBe('never');
  });

  it('is stopped by the address guard without an allow-list entry', async () => {
    const guarded = new WebhookConnector({
      channels: new WebhookChannels({ orm: api.env.orm, secretKey: api.env.config.secretKey }),
      http: new SafeHttpClient(),
      clock: systemClock,
    });
    const err = await guarded.send(send(crypto.randomUUID())).catch((e: unknown) => e);
    expect((err as { code: string }).code).toBe('http_blocked_address');
  });
});
