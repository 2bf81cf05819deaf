import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Boom } from '@hapi/boom';
import { DisconnectReason, proto } from '@whiskeysockets/baileys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { content, waMessage } from '../connectors/whatsapp/wa-messages.fixture.ts';
import { CONFLICT_RETRY_MS } from '../connectors/whatsapp/reconnect-policy.ts';
import { MEDIA_DOWNLOAD_ATTEMPTS } from '../connectors/whatsapp/whatsapp-inbound.ts';
import { SendingPausedError, SessionNotReadyError, UnsendableMessageError } from '../connectors/whatsapp/whatsapp-send.errors.ts';
import { BlockedAddressError } from '../connectors/http/http-request-errors.ts';
import { eventually } from './support/eventually.ts';
import { publishSessionCommand } from '../connectors/whatsapp/session-commands.ts';
import { SentContentStore } from '../connectors/whatsapp/sent-content.store.ts';
import { PostgresAuthStore } from '../connectors/whatsapp/auth-state.store.ts';
import { RateLimitedError } from '../engine/errors/app-error.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';
import { startWhatsappHarness, WA_MEDIA_MAX_BYTES, type WhatsappHarness } from './support/whatsapp-harness.ts';

let env: TestEnv;
let wa: WhatsappHarness;

beforeAll(async () => {
  env = await createTestEnv();
  wa = await startWhatsappHarness(env);
});

afterAll(async () => {
  await wa?.stop();
  await env?.cleanup();
});

/** A close as Baileys reports it: a Boom with the status code (0: a plain Error, no code at all). */
const close = (statusCode: number) => ({
  connection: 'close' as const,
  lastDisconnect: { error: statusCode ? new Boom('closed', { statusCode }) : new Error('socket hang up'), date: new Date() },
});

async function messagesOf(channelId: string) {
  return wa.sql<{
    provider_message_id: string;
    direction: string;
    sender: string;
    type: string;
    text: string | null;
    media: Record<string, unknown> | null;
    metadata: Record<string, unknown>;
    status: string;
    edited_at: Date | null;
    deleted_at: Date | null;
    contact_id: string;
  }>(
    `select provider_message_id, direction, sender, type, text, media, metadata, status, edited_at, deleted_at, contact_id from messages where channel_id = :channelId order by created_at, id`,
    { channelId },
  );
}

describe('WhatsApp login', () => {
  it('shows the rotating QR live, then moves to connected with the number as the display identifier', async () => {
    const { channelId, socket } = await wa.connectChannel();
    const live = await wa.collectEvents(channelId);
    expect((await wa.channel(channelId)).status).toBe('connecting');
    socket.emit('connection.update', { qr: 'QR-ONE' });
    socket.emit('connection.update', { qr: 'QR-TWO' });
    await wa.settled(channelId);
    expect((await wa.channel(channelId)).status).toBe('qr');
    expect(await wa.events.latestLoginCode(channelId)).toMatchObject({ type: 'qr', qr: 'QR-TWO' });
    await wa.open(channelId, socket);
    expect(await wa.channel(channelId)).toMatchObject({ status: 'connected', status_reason: null, display_identifier: '+15550009999' });
    await eventually(async () => (live.events.some((e) => e.type === 'status' && e.status === 'connected') ? true : undefined));
    expect(live.events.filter((e) => e.type === 'qr').map((e) => (e.type === 'qr' ? e.qr : null))).toEqual(['QR-ONE', 'QR-TWO']);
    expect(await wa.events.latestLoginCode(channelId)).toBeNull();
    expect(wa.hosted.has(channelId)).toBe(true);
    await live.stop();
  });

  it('asks for a pairing code once when a pairing phone was given, and shows it', async () => {
    const { channelId, socket } = await wa.connectChannel({ pairingPhone: '+15551230000' });
    socket.emit('connection.update', { qr: 'QR-IGNORED' });
    socket.emit('connection.update', { qr: 'QR-IGNORED-TOO' });
    await wa.settled(channelId);
    expect(socket.pairingRequests).toEqual(['15551230000']);
    expect((await wa.channel(channelId)).status).toBe('pairing');
    expect(await wa.events.latestLoginCode(channelId)).toMatchObject({ type: 'pairing_code', code: 'ABCD1234' });
  });

  it('stops after WhatsApp gives up on an unscanned QR, instead of rotating QR codes forever', async () => {
    const { channelId, socket } = await wa.connectChannel();
    socket.emit('connection.update', { qr: 'QR-NOBODY-SCANS' });
    await wa.settled(channelId);
    const sockets = wa.fake.sockets.length;
    wa.timers.splice(0);
    socket.emit('connection.update', close(DisconnectReason.timedOut));
    await wa.settled(channelId);
    expect(await wa.channel(channelId)).toMatchObject({ status: 'disconnected', status_reason: 'login_not_completed (connection_lost)' });
    expect(wa.fake.sockets.length).toBe(sockets);
    expect(wa.timers).toEqual([]);
    expect(
      (await wa.sql<{ desired: boolean }>(`select desired from whatsapp_sessions where channel_id = :channelId`, { channelId }))[0]!
        .desired,
    ).toBe(false);
  });

  it('keeps the auth state in Postgres across a restart of the session: the same creds come back', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    const noise = Buffer.from(socket.opts.auth.creds.noiseKey.private);
    socket.emit('connection.update', close(DisconnectReason.restartRequired));
    await wa.settled(channelId);
    const next = wa.fake.last();
    expect(next).not.toBe(socket);
    expect(next.opts.auth.creds.registered).toBe(true);
    expect(Buffer.from(next.opts.auth.creds.noiseKey.private)).toEqual(noise);
  });
});

describe('WhatsApp reconnect policy', () => {
  it('on logged out (401): wipes the auth state, marks logged_out and does not reconnect', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    const sockets = wa.fake.sockets.length;
    socket.emit('connection.update', close(DisconnectReason.loggedOut));
    await wa.settled(channelId);
    expect(await wa.channel(channelId)).toMatchObject({ status: 'logged_out', status_reason: 'logged_out' });
    expect(await wa.sql(`select 1 from whatsapp_auth where channel_id = :channelId`, { channelId })).toEqual([]);
    expect(
      (await wa.sql<{ desired: boolean }>(`select desired from whatsapp_sessions where channel_id = :channelId`, { channelId }))[0]!
        .desired,
    ).toBe(false);
    expect(wa.fake.sockets.length).toBe(sockets);
    expect(wa.timers.filter((t) => !t.cancelled)).toEqual([]);
  });

  it('on restart required (515): reconnects at once', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    const sockets = wa.fake.sockets.length;
    socket.emit('connection.update', close(DisconnectReason.restartRequired));
    await wa.settled(channelId);
    expect(wa.fake.sockets.length).toBe(sockets + 1);
    expect((await wa.channel(channelId)).status).toBe('connecting');
  });

  it('on connection replaced (440): marks conflict, retries once after a long pause, then stops instead of looping', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    wa.timers.splice(0);
    socket.emit('connection.update', close(DisconnectReason.connectionReplaced));
    await wa.settled(channelId);
    expect(await wa.channel(channelId)).toMatchObject({ status: 'conflict', status_reason: 'connection_replaced' });
    const sockets = wa.fake.sockets.length;
    expect(wa.fireTimers()).toEqual([CONFLICT_RETRY_MS]);
    await eventually(async () => (wa.fake.sockets.length === sockets + 1 ? true : undefined));
    await wa.settled(channelId);
    wa.fake.last().emit('connection.update', close(DisconnectReason.connectionReplaced));
    await wa.settled(channelId);
    expect(await wa.channel(channelId)).toMatchObject({ status: 'conflict' });
    expect(wa.timers.filter((t) => !t.cancelled)).toEqual([]);
    expect(
      (await wa.sql<{ desired: boolean }>(`select desired from whatsapp_sessions where channel_id = :channelId`, { channelId }))[0]!
        .desired,
    ).toBe(false);
  });

  it('on forbidden (403): marks restricted, pauses sending and records an alert', async () => {
    const { channelId, socket, workspaceId } = await wa.connectChannel();
    await wa.open(channelId, socket);
    socket.emit('connection.update', close(DisconnectReason.forbidden));
    await wa.settled(channelId);
    expect(await wa.channel(channelId)).toMatchObject({ status: 'restricted', status_reason: 'forbidden' });
    const alerts = await wa.sql<{ action: string; target_id: string }>(
      `select action, target_id from audit_log where workspace_id = :workspaceId`,
      { workspaceId },
    );
    expect(alerts).toEqual([{ action: 'channel.restricted', target_id: channelId }]);
    const refused = await wa.host.send(outbound(channelId, 'hello')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SendingPausedError);
    expect((refused as SendingPausedError).disposition).toBe('retry');
  });

  it.each([
    ['connection closed', DisconnectReason.connectionClosed, 'connection_closed'],
    ['connection lost / timed out', DisconnectReason.connectionLost, 'connection_lost'],
    ['bad session', DisconnectReason.badSession, 'bad_session'],
    ['service unavailable', DisconnectReason.unavailableService, 'unavailable'],
    ['multi-device mismatch', DisconnectReason.multideviceMismatch, 'multidevice_mismatch'],
    ['a close without a code', 0, 'unknown'],
  ])('on %s: marks disconnected with the reason and reconnects after a jittered backoff', async (_name, code, reason) => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    wa.timers.splice(0);
    socket.emit('connection.update', close(code));
    await wa.settled(channelId);
    expect(await wa.channel(channelId)).toMatchObject({ status: 'disconnected', status_reason: reason });
    const sockets = wa.fake.sockets.length;
    // random() = 0.5: three quarters of the first ceiling (2 s).
    expect(wa.fireTimers()).toEqual([1_500]);
    await eventually(async () => (wa.fake.sockets.length === sockets + 1 ? true : undefined));
    await wa.settled(channelId);
    wa.fake.last().emit('connection.update', close(code));
    await wa.settled(channelId);
    expect(wa.timers.filter((t) => !t.cancelled).map((t) => t.ms)).toEqual([3_000]);
  });

  it('opens the circuit breaker after repeated failures and says so in the reason', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    wa.timers.splice(0);
    for (let i = 0; i < 9; i++) {
      wa.fake.last().emit('connection.update', close(DisconnectReason.connectionLost));
      await wa.settled(channelId);
      if (i < 8) {
        wa.fireTimers();
        await eventually(async () => ((await wa.channel(channelId)).status === 'connecting' ? true : undefined));
        await wa.settled(channelId);
      }
    }
    expect((await wa.channel(channelId)).status_reason).toBe('connection_lost; reconnects paused (circuit open)');
  });
});

function outbound(channelId: string, text: string, phone = '+15551234567') {
  return {
    messageId: crypto.randomUUID(),
    workspaceId: crypto.randomUUID(),
    channelId,
    idempotencyKey: 'k',
    to: { contactId: crypto.randomUUID(), phone, externalIds: [] },
    type: 'text' as const,
    text,
    media: null,
  };
}

describe('WhatsApp inbound', () => {
  it('stores a text message once, however often WhatsApp delivers it', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    const m = waMessage({ id: 'DUP1', message: content({ conversation: 'hello' }) });
    socket.emit('messages.upsert', { messages: [m], type: 'notify' });
    socket.emit('messages.upsert', { messages: [m], type: 'notify' });
    await wa.settled(channelId);
    expect((await messagesOf(channelId)).map((r) => [r.provider_message_id, r.type, r.text])).toEqual([
      ['15551234567@s.whatsapp.net/DUP1', 'text', 'hello'],
    ]);
  });

  it('retries storing a message when the database fails for a moment, so an acknowledged message is not lost', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    // The harness's pipeline is shared; wrap its accept for this one test.
    const session = wa.host.session(channelId)!;
    const deps = (session as unknown as { deps: { inbound: { accept: (m: unknown) => Promise<unknown> } } }).deps;
    const real = deps.inbound.accept.bind(deps.inbound);
    let failures = 2;
    deps.inbound.accept = async (m) => {
      if (failures-- > 0) throw new Error('Connection terminated unexpectedly');
      return real(m);
    };
    try {
      wa.slept.splice(0);
      socket.emit('messages.upsert', {
        messages: [waMessage({ id: 'RETRY1', message: content({ conversation: 'still here' }) })],
        type: 'notify',
      });
      await wa.settled(channelId);
      expect((await messagesOf(channelId)).map((r) => r.text)).toEqual(['still here']);
      expect(wa.slept).toEqual([1_000, 2_000]);
    } finally {
      deps.inbound.accept = real;
    }
  });

  it('ignores appended (history) messages, status broadcasts and groups when groups are off', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    socket.emit('messages.upsert', { messages: [waMessage({ id: 'H1', message: content({ conversation: 'old' }) })], type: 'append' });
    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'S1',
          remoteJid: 'status@broadcast',
          participant: '15551234567@s.whatsapp.net',
          message: content({ conversation: 'story' }),
        }),
      ],
      type: 'notify',
    });
    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'G1',
          remoteJid: '120363111111111111@g.us',
          participant: '15551234567@s.whatsapp.net',
          message: content({ conversation: 'group' }),
        }),
      ],
      type: 'notify',
    });
    await wa.settled(channelId);
    expect(await messagesOf(channelId)).toEqual([]);
  });

  it('takes group messages when the channel enables groups', async () => {
    const { channelId, socket } = await wa.connectChannel({ settings: { groupsEnabled: true } });
    await wa.open(channelId, socket);
    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'G2',
          remoteJid: '120363111111111111@g.us',
          participant: '15551234567@s.whatsapp.net',
          message: content({ conversation: 'group hi' }),
        }),
      ],
      type: 'notify',
    });
    await wa.settled(channelId);
    expect((await messagesOf(channelId)).map((r) => r.text)).toEqual(['group hi']);
  });

  it('keeps one contact for a sender first seen by LID and later by phone, through the LID mapping', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    socket.emit('messages.upsert', {
      messages: [waMessage({ id: 'L1', remoteJid: '777888@lid', message: content({ conversation: 'by lid' }) })],
      type: 'notify',
    });
    await wa.settled(channelId);
    socket.emit('lid-mapping.update', { lid: '777888@lid', pn: '15557778888@s.whatsapp.net' });
    await wa.settled(channelId);
    socket.emit('messages.upsert', {
      messages: [waMessage({ id: 'P1', remoteJid: '15557778888@s.whatsapp.net', message: content({ conversation: 'by phone' }) })],
      type: 'notify',
    });
    await wa.settled(channelId);
    const rows = await messagesOf(channelId);
    expect(rows.map((r) => r.text)).toEqual(['by lid', 'by phone']);
    expect(new Set(rows.map((r) => r.contact_id)).size).toBe(1);
    const identities = await wa.sql<{ kind: string; value: string }>(
      `select kind, value from contact_identities where channel_id = :channelId order by kind, value`,
      { channelId },
    );
    expect(identities).toEqual(
      expect.arrayContaining([
        { kind: 'wa_jid', value: '15557778888@s.whatsapp.net' },
        { kind: 'wa_lid', value: '777888@lid' },
      ]),
    );
  });

  it('adds the other identity from the LID mapping Baileys keeps, so a LID-only and a phone-only message reach one contact', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    // Baileys' LIDMappingStore writes this pair through our key store when it learns the mapping.
    await new PostgresAuthStore({ orm: env.orm, secretKey: env.config.secretKey, channelId, fenceToken: 1 }).set({
      'lid-mapping': { '15554445555': '444555', '444555_reverse': '15554445555' },
    });
    socket.emit('messages.upsert', {
      messages: [waMessage({ id: 'LO1', remoteJid: '444555@lid', message: content({ conversation: 'lid only' }) })],
      type: 'notify',
    });
    await wa.settled(channelId);
    socket.emit('messages.upsert', {
      messages: [waMessage({ id: 'PO1', remoteJid: '15554445555@s.whatsapp.net', message: content({ conversation: 'phone only' }) })],
      type: 'notify',
    });
    await wa.settled(channelId);
    const rows = await messagesOf(channelId);
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((r) => r.contact_id)).size).toBe(1);
    const [contact] = await wa.sql<{ phone: string }>(`select phone from contacts where id = :id`, { id: rows[0]!.contact_id });
    expect(contact!.phone).toBe('+15554445555');
  });

  it('applies edits and deletes to the stored message', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    const remoteJid = '15551234567@s.whatsapp.net';
    socket.emit('messages.upsert', {
      messages: [
        waMessage({ id: 'E1', message: content({ conversation: 'helo' }) }),
        waMessage({ id: 'D1', message: content({ conversation: 'oops' }) }),
      ],
      type: 'notify',
    });
    await wa.settled(channelId);
    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'E1-edit',
          message: content({
            editedMessage: {
              message: {
                protocolMessage: {
                  type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
                  key: { remoteJid, fromMe: false, id: 'E1' },
                  editedMessage: { conversation: 'hello' },
                },
              },
            },
          }),
        }),
      ],
      type: 'notify',
    });
    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'D1-revoke',
          message: content({
            protocolMessage: { type: proto.Message.ProtocolMessage.Type.REVOKE, key: { remoteJid, fromMe: false, id: 'D1' } },
          }),
        }),
      ],
      type: 'notify',
    });
    await wa.settled(channelId);
    const rows = await messagesOf(channelId);
    expect(rows).toHaveLength(2);
    const edited = rows.find((r) => r.provider_message_id === `${remoteJid}/E1`)!;
    const deleted = rows.find((r) => r.provider_message_id === `${remoteJid}/D1`)!;
    expect(edited).toMatchObject({ text: 'hello' });
    expect(edited.edited_at).not.toBeNull();
    expect(deleted).toMatchObject({ text: null });
    expect(deleted.deleted_at).not.toBeNull();
  });

  it('handles events in order: an edit in the same batch as its message is applied, and messages keep their order', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    const remoteJid = '15551234567@s.whatsapp.net';
    socket.emit('messages.upsert', {
      messages: [
        waMessage({ id: 'ORD1', message: content({ conversation: 'first, with a typo' }) }),
        waMessage({ id: 'ORD2', message: content({ conversation: 'second' }) }),
        waMessage({
          id: 'ORD1-edit',
          message: content({
            protocolMessage: {
              type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
              key: { remoteJid, fromMe: false, id: 'ORD1' },
              editedMessage: { conversation: 'first' },
            },
          }),
        }),
      ],
      type: 'notify',
    });
    await wa.settled(channelId);
    const rows = await wa.sql<{ provider_message_id: string; text: string; created_at: Date }>(
      `select provider_message_id, text, created_at from messages where channel_id = :channelId`,
      { channelId },
    );
    const first = rows.find((r) => r.provider_message_id === `${remoteJid}/ORD1`)!;
    const second = rows.find((r) => r.provider_message_id === `${remoteJid}/ORD2`)!;
    expect(rows).toHaveLength(2);
    expect(first.text).toBe('first');
    expect(second.text).toBe('second');
    expect(new Date(first.created_at).getTime()).toBeLessThanOrEqual(new Date(second.created_at).getTime());
  });

  it('records a message the owner sent from the phone as outbound by the owner, and pauses the bot there when the channel says so', async () => {
    const { channelId, socket } = await wa.connectChannel({ settings: { pauseBotOnOwnerMessage: true } });
    await wa.open(channelId, socket);
    socket.emit('messages.upsert', {
      messages: [waMessage({ id: 'IN1', message: content({ conversation: 'is anyone there?' }) })],
      type: 'notify',
    });
    await wa.settled(channelId);
    socket.emit('messages.upsert', {
      messages: [waMessage({ id: 'OWN1', fromMe: true, message: content({ conversation: 'yes, me' }) })],
      type: 'notify',
    });
    await wa.settled(channelId);
    const rows = (await messagesOf(channelId)).sort((a, b) => a.direction.localeCompare(b.direction));
    expect(rows.map((r) => [r.direction, r.sender, r.provider_message_id, r.status])).toEqual([
      ['inbound', 'contact', '15551234567@s.whatsapp.net/IN1', 'received'],
      ['outbound', 'owner', 'me/OWN1', 'sent'],
    ]);
    const [conversation] = await wa.sql<{ bot_paused: boolean }>(`select bot_paused from conversations where channel_id = :channelId`, {
      channelId,
    });
    expect(conversation!.bot_paused).toBe(true);
  });

  it('records an owner message in a chat the product has never seen, with a new contact and conversation, and a later reply joins it', async () => {
    const { channelId, socket } = await wa.connectChannel({ settings: { pauseBotOnOwnerMessage: true } });
    await wa.open(channelId, socket);
    const remoteJid = '15557654321@s.whatsapp.net';
    socket.emit('messages.upsert', {
      messages: [waMessage({ id: 'OWNFIRST', remoteJid, fromMe: true, message: content({ conversation: 'hello, this is the shop' }) })],
      type: 'notify',
    });
    await wa.settled(channelId);
    const [owner] = await messagesOf(channelId);
    expect(owner).toMatchObject({
      direction: 'outbound',
      sender: 'owner',
      provider_message_id: 'me/OWNFIRST',
      status: 'sent',
      text: 'hello, this is the shop',
    });
    const [contact] = await wa.sql<{ phone: string; last_seen_at: Date | null }>(
      `select phone, last_seen_at from contacts where id = :id`,
      { id: owner!.contact_id },
    );
    // The owner writing is not the contact being seen.
    expect(contact).toEqual({ phone: '+15557654321', last_seen_at: null });
    const [conversation] = await wa.sql<{ bot_paused: boolean; last_inbound_at: Date | null }>(
      `select bot_paused, last_inbound_at from conversations where channel_id = :channelId`,
      { channelId },
    );
    expect(conversation).toEqual({ bot_paused: true, last_inbound_at: null });

    // The same message again (a replay from the phone) adds nothing; the contact's reply joins the conversation.
    socket.emit('messages.upsert', {
      messages: [waMessage({ id: 'OWNFIRST', remoteJid, fromMe: true, message: content({ conversation: 'hello, this is the shop' }) })],
      type: 'notify',
    });
    socket.emit('messages.upsert', {
      messages: [waMessage({ id: 'REPLY1', remoteJid, message: content({ conversation: 'hi!' }) })],
      type: 'notify',
    });
    await wa.settled(channelId);
    const rows = await messagesOf(channelId);
    expect(rows.map((r) => [r.direction, r.sender, r.contact_id])).toEqual([
      ['outbound', 'owner', owner!.contact_id],
      ['inbound', 'contact', owner!.contact_id],
    ]);
    expect(await wa.sql(`select count(*)::int as n from conversations where channel_id = :channelId`, { channelId })).toEqual([{ n: 1 }]);
  });

  it('records the owner message without pausing the bot when the channel does not ask for it', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    socket.emit('messages.upsert', { messages: [waMessage({ id: 'IN9', message: content({ conversation: 'hello?' }) })], type: 'notify' });
    await wa.settled(channelId);
    socket.emit('messages.upsert', {
      messages: [waMessage({ id: 'OWN9', fromMe: true, message: content({ conversation: 'hi from the phone' }) })],
      type: 'notify',
    });
    await wa.settled(channelId);
    expect((await messagesOf(channelId)).map((r) => r.sender).sort()).toEqual(['contact', 'owner']);
    const [conversation] = await wa.sql<{ bot_paused: boolean }>(`select bot_paused from conversations where channel_id = :channelId`, {
      channelId,
    });
    expect(conversation!.bot_paused).toBe(false);
  });

  it('downloads media into the media store with its mime type and size', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    socket.download = async () => Buffer.from('jpeg bytes');
    socket.emit('messages.upsert', {
      messages: [waMessage({ id: 'IMG1', message: content({ imageMessage: { mimetype: 'image/jpeg', caption: 'see', fileLength: 10 } }) })],
      type: 'notify',
    });
    await wa.settled(channelId);
    const [row] = await messagesOf(channelId);
    expect(row).toMatchObject({
      type: 'image',
      text: 'see',
      media: { mimeType: 'image/jpeg', sizeBytes: 10, caption: 'see', storageKey: `${channelId}/IMG1.jpeg` },
    });
    expect(await wa.media.get(`${channelId}/IMG1.jpeg`)).toEqual(Buffer.from('jpeg bytes'));
  });

  it('retries a failed download, then marks it and still stores the message', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    let calls = 0;
    socket.download = async () => {
      calls += 1;
      throw new Error('media server said 410');
    };
    socket.emit('messages.upsert', {
      messages: [waMessage({ id: 'VID1', message: content({ videoMessage: { mimetype: 'video/mp4', fileLength: 100 } }) })],
      type: 'notify',
    });
    await wa.settled(channelId);
    expect(calls).toBe(MEDIA_DOWNLOAD_ATTEMPTS);
    const [row] = await messagesOf(channelId);
    expect(row).toMatchObject({ type: 'video', metadata: { mediaError: 'download_failed' } });
    expect(row!.media?.storageKey).toBeUndefined();
  });

  it('does not download media over the size cap, and marks it', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'BIG1',
          message: content({ documentMessage: { mimetype: 'application/pdf', fileName: 'big.pdf', fileLength: WA_MEDIA_MAX_BYTES + 1 } }),
        }),
      ],
      type: 'notify',
    });
    await wa.settled(channelId);
    const [row] = await messagesOf(channelId);
    expect(row).toMatchObject({ type: 'document', metadata: { mediaError: 'too_large' }, media: { fileName: 'big.pdf' } });
  });
});

describe('WhatsApp outbound', () => {
  it('refuses to send before the socket is open, with a retryable error', async () => {
    const { channelId } = await wa.connectChannel();
    const refused = await wa.host.send(outbound(channelId, 'too early')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SessionNotReadyError);
    expect((refused as SessionNotReadyError).disposition).toBe('retry');
  });

  it('paces sends: typing for a time proportional to the text, then the minimum gap plus jitter between messages', async () => {
    const { channelId, socket } = await wa.connectChannel({
      settings: { pacing: { minGapMs: 4_000, jitterMs: 2_000, typingMsPerChar: 100, typingMinMs: 0, typingMaxMs: 10_000 } },
    });
    await wa.open(channelId, socket);
    wa.slept.splice(0);
    const first = await wa.host.send(outbound(channelId, 'hello'));
    const second = await wa.host.send(outbound(channelId, 'hello again'));
    // Typing 5 chars; then the gap since the first send (4 s + 0.5 × 2 s of jitter); then typing 11 chars.
    expect(wa.slept).toEqual([500, 5_000, 1_100]);
    expect(socket.presences.map((p) => p.type)).toEqual(['composing', 'paused', 'composing', 'paused']);
    expect(socket.sent.map((s) => [s.jid, (s.content as { text: string }).text])).toEqual([
      ['15551234567@s.whatsapp.net', 'hello'],
      ['15551234567@s.whatsapp.net', 'hello again'],
    ]);
    expect(first.providerMessageId).toBe(`me/${socket.sent[0]!.messageId}`);
    expect(second.providerMessageId).not.toBe(first.providerMessageId);
  });

  it('keeps the caps across a restart of the session (the send log is in Redis, not in the process)', async () => {
    const { channelId, socket } = await wa.connectChannel({ settings: { pacing: { minGapMs: 0, jitterMs: 0, perMinute: 1 } } });
    await wa.open(channelId, socket);
    await wa.host.send(outbound(channelId, 'first'));
    const sockets = wa.fake.sockets.length;
    await publishSessionCommand(env.redis, env.config.redisPrefix, { channelId, action: 'connect' });
    await eventually(async () => (wa.fake.sockets.length > sockets ? true : undefined));
    await wa.open(channelId, wa.fake.last());
    const refused = await wa.host.send(outbound(channelId, 'second')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).retryAfterSeconds).toBeGreaterThan(0);
  });

  it('serves getMessage for retries from the store of sent content', async () => {
    const { channelId, socket } = await wa.connectChannel({ settings: { pacing: { minGapMs: 0, jitterMs: 0 } } });
    await wa.open(channelId, socket);
    await wa.host.send(outbound(channelId, 'retry me'));
    const id = socket.sent[0]!.messageId;
    expect(await socket.opts.getMessage({ remoteJid: '15551234567@s.whatsapp.net', fromMe: true, id })).toMatchObject({
      conversation: 'retry me',
    });
    expect(await socket.opts.getMessage({ remoteJid: '15551234567@s.whatsapp.net', fromMe: true, id: 'UNKNOWN' })).toBeUndefined();
  });

  it('forgets sent content after the retention period', async () => {
    const { channelId, socket } = await wa.connectChannel({ settings: { pacing: { minGapMs: 0, jitterMs: 0 } } });
    await wa.open(channelId, socket);
    await wa.host.send(outbound(channelId, 'old news'));
    const id = socket.sent[0]!.messageId;
    await wa.sql(`update whatsapp_sent_content set created_at = now() - interval '15 days' where channel_id = :channelId`, { channelId });
    const store = new SentContentStore({ orm: env.orm, secretKey: env.config.secretKey });
    expect(await store.prune(new Date())).toBeGreaterThanOrEqual(1);
    expect(await socket.opts.getMessage({ remoteJid: '15551234567@s.whatsapp.net', fromMe: true, id })).toBeUndefined();
  });

  it('does not take the echo of its own send for an owner message', async () => {
    const { channelId, socket } = await wa.connectChannel({ settings: { pacing: { minGapMs: 0, jitterMs: 0 } } });
    await wa.open(channelId, socket);
    socket.emit('messages.upsert', { messages: [waMessage({ id: 'IN2', message: content({ conversation: 'hi' }) })], type: 'notify' });
    await wa.settled(channelId);
    await wa.host.send(outbound(channelId, 'bot reply'));
    socket.emit('messages.upsert', {
      messages: [waMessage({ id: socket.sent[0]!.messageId, fromMe: true, message: content({ conversation: 'bot reply' }) })],
      type: 'notify',
    });
    await wa.settled(channelId);
    expect((await messagesOf(channelId)).map((r) => r.sender)).toEqual(['contact']);
  });

  it('moves statuses forward only, whatever order the updates arrive in (played counts as read, error fails)', async () => {
    const { channelId, socket, workspaceId } = await wa.connectChannel();
    await wa.open(channelId, socket);
    socket.emit('messages.upsert', { messages: [waMessage({ id: 'IN3', message: content({ conversation: 'hi' }) })], type: 'notify' });
    await wa.settled(channelId);
    const [conv] = await wa.sql<{ id: string; contact_id: string }>(
      `select id, contact_id from conversations where channel_id = :channelId`,
      { channelId },
    );
    for (const id of ['OUT1', 'OUT2']) {
      await wa.sql(
        `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, provider_message_id, type, text, status, status_times) values (gen_random_uuid(), :workspaceId, :channelId, :conv, :contact, 'outbound', 'bot', :pid, 'text', 'x', 'sent', '{}')`,
        { workspaceId, channelId, conv: conv!.id, contact: conv!.contact_id, pid: `me/${id}` },
      );
    }
    const key = (id: string) => ({ remoteJid: '15551234567@s.whatsapp.net', fromMe: true, id });
    socket.emit('messages.update', [{ key: key('OUT1'), update: { status: proto.WebMessageInfo.Status.PLAYED } }]);
    await wa.settled(channelId);
    socket.emit('messages.update', [{ key: key('OUT1'), update: { status: proto.WebMessageInfo.Status.DELIVERY_ACK } }]);
    socket.emit('messages.update', [{ key: key('OUT2'), update: { status: proto.WebMessageInfo.Status.ERROR } }]);
    await wa.settled(channelId);
    const rows = await wa.sql<{
      provider_message_id: string;
      status: string;
      status_times: Record<string, string>;
      failure_reason: string | null;
    }>(
      `select provider_message_id, status, status_times, failure_reason from messages where channel_id = :channelId and direction = 'outbound' order by provider_message_id`,
      { channelId },
    );
    expect(rows.map((r) => [r.provider_message_id, r.status])).toEqual([
      ['me/OUT1', 'read'],
      ['me/OUT2', 'failed'],
    ]);
    // The late delivery receipt did not move it back; 'delivered' got the time of the read that implied it.
    expect(Object.keys(rows[0]!.status_times).sort()).toEqual(['delivered', 'read', 'sent']);
    expect(rows[0]!.status_times.delivered).toBe(rows[0]!.status_times.read);
    expect(rows[1]!.failure_reason).toBe('whatsapp reported an error');
  });
});

describe('WhatsApp receipts and replies', () => {
  it('applies per-recipient receipts (groups): a read receipt reads, a delivery receipt never moves it back', async () => {
    const { channelId, socket, workspaceId } = await wa.connectChannel();
    await wa.open(channelId, socket);
    socket.emit('messages.upsert', { messages: [waMessage({ id: 'IN4', message: content({ conversation: 'hi' }) })], type: 'notify' });
    await wa.settled(channelId);
    const [conv] = await wa.sql<{ id: string; contact_id: string }>(
      `select id, contact_id from conversations where channel_id = :channelId`,
      { channelId },
    );
    await wa.sql(
      `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, provider_message_id, type, text, status, status_times) values (gen_random_uuid(), :workspaceId, :channelId, :conv, :contact, 'outbound', 'bot', 'me/GRP1', 'text', 'x', 'sent', '{}')`,
      { workspaceId, channelId, conv: conv!.id, contact: conv!.contact_id },
    );
    const key = { remoteJid: '120363111111111111@g.us', fromMe: true, id: 'GRP1' };
    socket.emit('message-receipt.update', [{ key, receipt: { userJid: '15551234567@s.whatsapp.net', readTimestamp: 1_764_000_100 } }]);
    await wa.settled(channelId);
    socket.emit('message-receipt.update', [{ key, receipt: { userJid: '15552223333@s.whatsapp.net', receiptTimestamp: 1_764_000_050 } }]);
    await wa.settled(channelId);
    const [row] = await wa.sql<{ status: string }>(`select status from messages where provider_message_id = 'me/GRP1'`);
    expect(row!.status).toBe('read');
  });

  it('stores a reply with the id of the message it quotes, ours when it quotes ours', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    socket.emit('messages.upsert', {
      messages: [
        waMessage({
          id: 'RE1',
          message: content({
            extendedTextMessage: { text: 'yes please', contextInfo: { stanzaId: 'OURQ', participant: '15550009999@s.whatsapp.net' } },
          }),
        }),
      ],
      type: 'notify',
    });
    await wa.settled(channelId);
    const [row] = await wa.sql<{ quoted_provider_message_id: string }>(
      `select quoted_provider_message_id from messages where channel_id = :channelId`,
      { channelId },
    );
    expect(row!.quoted_provider_message_id).toBe('me/OURQ');
  });
});

describe('WhatsApp outbound media', () => {
  const media = (channelId: string, type: 'image' | 'document', ref: Record<string, unknown>) => ({
    ...outbound(channelId, ''),
    text: null,
    type,
    media: ref,
  });

  it('sends an image from the media store and a document from a URL, with mime type, caption and file name', async () => {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/pdf' }).end('%PDF-1.4 fake'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { channelId, socket } = await wa.connectChannel({ settings: { pacing: { minGapMs: 0, jitterMs: 0 } } });
      await wa.open(channelId, socket);
      const storageKey = await wa.media.put(channelId, 'photo.jpeg', Buffer.from('jpeg'));
      await wa.host.send(media(channelId, 'image', { storageKey, mimeType: 'image/jpeg', caption: 'our menu' }));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/invoice.pdf`;
      await wa.host.send(media(channelId, 'document', { url, fileName: 'invoice.pdf' }));
      expect(socket.sent[0]!.content).toEqual({ image: Buffer.from('jpeg'), caption: 'our menu', mimetype: 'image/jpeg' });
      expect(socket.sent[1]!.content).toEqual({
        document: Buffer.from('%PDF-1.4 fake'),
        mimetype: 'application/pdf',
        fileName: 'invoice.pdf',
        caption: undefined,
      });
      // No typing presence for a message without text.
      expect(socket.presences).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('refuses media URLs that point into private networks, as the HTTP action does, never retrying', async () => {
    const { channelId, socket } = await wa.connectChannel({ settings: { pacing: { minGapMs: 0, jitterMs: 0 } } });
    await wa.open(channelId, socket);
    const refused = await wa.host
      .send(media(channelId, 'image', { url: 'http://169.254.169.254/latest/meta-data' }))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BlockedAddressError);
    expect((refused as BlockedAddressError).disposition).toBe('never');
    expect(socket.sent).toEqual([]);
  });

  it('refuses a media message with neither a file nor a URL, never retrying', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    const refused = await wa.host.send(media(channelId, 'image', {})).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UnsendableMessageError);
    expect((refused as UnsendableMessageError).disposition).toBe('never');
  });
});

describe('WhatsApp fencing in the session', () => {
  it('closes the socket and drops the channel when its auth write is fenced off by a newer holder', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    await wa.sql(`update whatsapp_sessions set fence_token = fence_token + 1000 where channel_id = :channelId`, { channelId });
    socket.emit('creds.update', { lastPropHash: 'changed' });
    await eventually(async () => (wa.host.channels().includes(channelId) ? undefined : true));
    expect(socket.ended).toBe(true);
    expect(wa.hosted.has(channelId)).toBe(false);
  });
});
