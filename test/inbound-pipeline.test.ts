import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { pino } from 'pino';
import { systemClock } from '../engine/clock.ts';
import { NotFoundError, ValidationError } from '../engine/errors/app-error.ts';
import { FakeClock } from '../engine/runs/run-context.fixture.ts';
import type { AcceptedInbound, InboundMessage } from '../engine/ports/inbound-message.ts';
import { newId } from '../platform/ids.ts';
import { InboundPipeline } from '../platform/pipeline/inbound-pipeline.ts';
import { LAST_SEEN_STEP_SECONDS } from '../platform/pipeline/store-inbound.sql.ts';
import { untilWaitingForLock } from './support/lock-wait.ts';
import { testSql } from './support/test-sql.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

let env: TestEnv;
let pipeline: InboundPipeline;
const accepted: AcceptedInbound[] = [];

async function sql<Row = Record<string, unknown>>(text: string, bindings: Record<string, unknown> = {}): Promise<Row[]> {
  return (await testSql<Row>(env.orm.em.fork(), text, bindings)).rows;
}

async function createChannel(opts: { deleted?: boolean } = {}): Promise<{ workspaceId: string; channelId: string }> {
  const workspaceId = newId();
  const channelId = newId();
  await sql(`insert into workspaces (id, name) values (:workspaceId, 'Inbound test')`, { workspaceId });
  await sql(
    `insert into channels (id, workspace_id, kind, name, status, deleted_at) values (:channelId, :workspaceId, 'sandbox', 'Sandbox', 'connected', :deletedAt)`,
    {
      channelId,
      workspaceId,
      deletedAt: opts.deleted ? new Date() : null,
    },
  );
  return { workspaceId, channelId };
}

function textFrom(channelId: string, phone: string, text = 'hello', providerMessageId = newId()): InboundMessage {
  return { channelId, providerMessageId, from: { phone, name: 'Sam' }, type: 'text', text };
}

beforeAll(async () => {
  env = await createTestEnv();
  pipeline = new InboundPipeline({ orm: env.orm, logger: pino({ level: 'silent' }), clock: systemClock });
  pipeline.onAccepted(async (a) => {
    accepted.push(a);
  });
});

afterAll(async () => {
  await env?.cleanup();
});

describe('when a contact writes for the first time', () => {
  it('persists the message with a new contact and an open conversation', async () => {
    const { workspaceId, channelId } = await createChannel();
    const result = await pipeline.accept(textFrom(channelId, '+15550000001', 'first words'));

    expect(result).toMatchObject({ workspaceId, channelId, duplicate: false });
    const [message] = await sql<any>(`select * from messages where id = :id`, { id: result.messageId });
    expect(message).toMatchObject({
      direction: 'inbound',
      sender: 'contact',
      status: 'received',
      text: 'first words',
      conversation_id: result.conversationId,
      contact_id: result.contactId,
      workspace_id: workspaceId,
    });
    expect(typeof message.status_times.received).toBe('string');
    const [contact] = await sql<any>(`select * from contacts where id = :id`, { id: result.contactId });
    expect(contact).toMatchObject({ phone: '+15550000001', name: 'Sam', workspace_id: workspaceId });
    expect(contact.last_seen_at).not.toBeNull();
    const [conversation] = await sql<any>(`select * from conversations where id = :id`, { id: result.conversationId });
    expect(conversation).toMatchObject({ status: 'open', contact_id: result.contactId, channel_id: channelId });
    expect(conversation.last_inbound_at).not.toBeNull();
    const identities = await sql<any>(`select kind, value from contact_identities where contact_id = :id`, { id: result.contactId });
    expect(identities).toEqual([{ kind: 'phone', value: '+15550000001' }]);
  });

  it('keeps the name the contact already has', async () => {
    const { channelId } = await createChannel();
    const first = await pipeline.accept({ ...textFrom(channelId, '+15550000002'), from: { phone: '+15550000002', name: 'Original' } });
    await pipeline.accept({ ...textFrom(channelId, '+15550000002'), from: { phone: '+15550000002', name: 'Renamed' } });
    const [contact] = await sql<any>(`select name from contacts where id = :id`, { id: first.contactId });
    expect(contact.name).toBe('Original');
  });
});

describe('when a contact writes again', () => {
  it("moves the contact's last seen once a minute at most, and leaves the contact row alone in between", async () => {
    const { channelId } = await createChannel();
    const clock = new FakeClock(new Date('2026-12-07T10:00:00.000Z'));
    const timed = new InboundPipeline({ orm: env.orm, logger: pino({ level: 'silent' }), clock });
    const contactRow = async (id: string) =>
      (
        await sql<{ lastSeenAt: Date; version: string; lastInboundAt: Date }>(
          `select c.last_seen_at as "lastSeenAt", c.xmin::text as version, v.last_inbound_at as "lastInboundAt"
             from contacts c join conversations v on v.contact_id = c.id where c.id = :id`,
          { id },
        )
      )[0]!;
    const first = await timed.accept(textFrom(channelId, '+15550000003'));
    const before = await contactRow(first.contactId);
    expect(before.lastSeenAt.toISOString()).toBe('2026-12-07T10:00:00.000Z');

    clock.tick((LAST_SEEN_STEP_SECONDS - 1) * 1000);
    await timed.accept(textFrom(channelId, '+15550000003'));
    const within = await contactRow(first.contactId);
    // The conversation's times move at every message (the inbox sorts by them); the contact is not rewritten.
    expect(within).toEqual({ ...before, lastInboundAt: clock.now() });

    clock.tick(2_000);
    await timed.accept(textFrom(channelId, '+15550000003'));
    const after = await contactRow(first.contactId);
    expect(after.lastSeenAt).toEqual(clock.now());
    expect(after.version).not.toBe(before.version);
  });

  it('gives a contact found without a name the name a later message carries, within the minute', async () => {
    const { channelId } = await createChannel();
    const first = await pipeline.accept({ ...textFrom(channelId, '+15550000004'), from: { phone: '+15550000004' } });
    await pipeline.accept(textFrom(channelId, '+15550000004'));
    const [contact] = await sql<{ name: string | null }>(`select name from contacts where id = :id`, { id: first.contactId });
    expect(contact!.name).toBe('Sam');
  });

  it('stores a message that arrives while its sender is being erased, under a new contact', async () => {
    const { channelId } = await createChannel();
    const first = await pipeline.accept(textFrom(channelId, '+15550000005'));
    const eraser = new pg.Client({ connectionString: env.config.databaseUrl });
    await eraser.connect();
    try {
      // An erasure as connectors/retention/contact-erasure.sql.ts runs it: the contact locked, then its rows deleted.
      await eraser.query('begin');
      await eraser.query('select id from contacts where id = $1 for update', [first.contactId]);
      await eraser.query('delete from messages where contact_id = $1', [first.contactId]);
      await eraser.query('delete from contact_identities where contact_id = $1', [first.contactId]);
      await eraser.query('delete from conversations where contact_id = $1', [first.contactId]);
      await eraser.query('delete from contacts where id = $1', [first.contactId]);
      const again = pipeline.accept(textFrom(channelId, '+15550000005', 'still there?'));
      await untilWaitingForLock(eraser, 'the message waiting for the erasure');
      await eraser.query('commit');

      const stored = await again;
      expect(stored.duplicate).toBe(false);
      expect(stored.contactId).not.toBe(first.contactId);
      const [row] = await sql<{ text: string; phone: string }>(
        `select m.text, c.phone from messages m join contacts c on c.id = m.contact_id where m.id = :id`,
        { id: stored.messageId },
      );
      expect(row).toEqual({ text: 'still there?', phone: '+15550000005' });
    } finally {
      await eraser.end();
    }
  });
});

describe('when the same provider message id arrives twice', () => {
  it("stores one message and answers the first message's ids", async () => {
    const { channelId } = await createChannel();
    const message = textFrom(channelId, '+15550000010', 'once', 'wamid.repeat');
    const first = await pipeline.accept(message);
    const second = await pipeline.accept(message);

    expect(second).toEqual({ ...first, duplicate: true });
    const rows = await sql(`select id from messages where channel_id = :channelId`, { channelId });
    expect(rows).toHaveLength(1);
  });

  it("a redelivery later moves neither the conversation's nor the contact's activity time", async () => {
    const { channelId } = await createChannel();
    const message = textFrom(channelId, '+15550000012', 'once', 'wamid.redelivered');
    const clock = new FakeClock(new Date());
    const timed = new InboundPipeline({ orm: env.orm, logger: pino({ level: 'silent' }), clock });
    const first = await timed.accept(message);
    const times = () =>
      sql<{ lastMessageAt: Date; lastInboundAt: Date; lastSeenAt: Date }>(
        `select v.last_message_at as "lastMessageAt", v.last_inbound_at as "lastInboundAt", c.last_seen_at as "lastSeenAt"
         from conversations v join contacts c on c.id = v.contact_id where v.id = :id`,
        { id: first.conversationId },
      );
    const before = await times();
    clock.tick(60_000);
    expect(await timed.accept(message)).toEqual({ ...first, duplicate: true });
    expect(await times()).toEqual(before);
  });

  it('stores one message when ten identical accepts run at once', async () => {
    const { channelId } = await createChannel();
    const message = textFrom(channelId, '+15550000011', 'racing', 'wamid.race');
    const results = await Promise.all(Array.from({ length: 10 }, () => pipeline.accept(message)));

    const originals = results.filter((r) => !r.duplicate);
    expect(originals).toHaveLength(1);
    for (const r of results) expect(r.messageId).toBe(originals[0]!.messageId);
    expect(await sql(`select id from messages where channel_id = :channelId`, { channelId })).toHaveLength(1);
    expect(
      await sql(
        `select id from contacts c where exists (select 1 from conversations v where v.contact_id = c.id and v.channel_id = :channelId)`,
        { channelId },
      ),
    ).toHaveLength(1);
    expect(await sql(`select id from conversations where channel_id = :channelId`, { channelId })).toHaveLength(1);
  });
});

describe('when the listener is registered', () => {
  it('is called once per new message and not for duplicates', async () => {
    const { channelId } = await createChannel();
    const message = textFrom(channelId, '+15550000020', 'listen', 'wamid.listen');
    const first = await pipeline.accept(message);
    await pipeline.accept(message);
    await Promise.all([pipeline.accept(message), pipeline.accept(message)]);

    expect(accepted.filter((a) => a.channelId === channelId)).toEqual([first]);
  });

  it('still persists the message when a listener throws', async () => {
    const { channelId } = await createChannel();
    const failing = new InboundPipeline({ orm: env.orm, logger: pino({ level: 'silent' }), clock: systemClock });
    failing.onAccepted(async () => {
      throw new Error('engine down');
    });
    const result = await failing.accept(textFrom(channelId, '+15550000021'));
    expect(await sql(`select id from messages where id = :id`, { id: result.messageId })).toHaveLength(1);
  });
});

describe('when different phones write to the same channel', () => {
  it('creates a contact and a conversation for each', async () => {
    const { channelId } = await createChannel();
    const a = await pipeline.accept(textFrom(channelId, '+15550000030'));
    const b = await pipeline.accept(textFrom(channelId, '+15550000031'));
    expect(a.contactId).not.toBe(b.contactId);
    expect(a.conversationId).not.toBe(b.conversationId);
  });
});

describe('when the same person writes with an external id and later with a phone', () => {
  it('dedupes them into one contact that gains the phone', async () => {
    const { channelId } = await createChannel();
    const byLid = await pipeline.accept({
      channelId,
      providerMessageId: newId(),
      from: { externalIds: [{ kind: 'wa_lid', value: '12345@lid' }] },
      type: 'text',
      text: 'hi',
    });
    const byBoth = await pipeline.accept({
      channelId,
      providerMessageId: newId(),
      from: { phone: '+15550000040', externalIds: [{ kind: 'wa_lid', value: '12345@lid' }] },
      type: 'text',
      text: 'again',
    });
    const byPhone = await pipeline.accept(textFrom(channelId, '+15550000040'));

    expect(byBoth.contactId).toBe(byLid.contactId);
    expect(byPhone.contactId).toBe(byLid.contactId);
    expect(byPhone.conversationId).toBe(byLid.conversationId);
    const [contact] = await sql<any>(`select phone from contacts where id = :id`, { id: byLid.contactId });
    expect(contact.phone).toBe('+15550000040');
    const identities = await sql<any>(`select kind, value from contact_identities where contact_id = :id order by kind`, {
      id: byLid.contactId,
    });
    expect(identities).toEqual([
      { kind: 'phone', value: '+15550000040' },
      { kind: 'wa_lid', value: '12345@lid' },
    ]);
  });

  it('creates one contact when ten first messages from an external-only sender race', async () => {
    const { channelId } = await createChannel();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        pipeline.accept({
          channelId,
          providerMessageId: newId(),
          from: { externalIds: [{ kind: 'external', value: 'visitor-7' }] },
          type: 'text',
          text: 'hi',
        }),
      ),
    );
    expect(new Set(results.map((r) => r.contactId)).size).toBe(1);
    expect(new Set(results.map((r) => r.conversationId)).size).toBe(1);
    expect(results.every((r) => !r.duplicate)).toBe(true);
  });
});

describe("when the contact's conversation was resolved", () => {
  it('starts a new conversation instead of reopening it', async () => {
    const { channelId } = await createChannel();
    const first = await pipeline.accept(textFrom(channelId, '+15550000050'));
    await sql(`update conversations set state = 'resolved', status = 'resolved', resolved_at = now() where id = :id`, {
      id: first.conversationId,
    });
    const second = await pipeline.accept(textFrom(channelId, '+15550000050'));

    expect(second.contactId).toBe(first.contactId);
    expect(second.conversationId).not.toBe(first.conversationId);
    const [old] = await sql<any>(`select status from conversations where id = :id`, { id: first.conversationId });
    expect(old.status).toBe('resolved');
  });
});

describe('when the input is invalid', () => {
  it('throws a ValidationError listing the problems and stores nothing', async () => {
    const { channelId } = await createChannel();
    const bad = { channelId, providerMessageId: '', from: { phone: '5550000060' }, type: 'text' } as unknown as InboundMessage;
    const error = await pipeline.accept(bad).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toBe('the inbound message is invalid');
    const paths = ((error as ValidationError).details as { path: string }[]).map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['providerMessageId', 'from.phone']));
    expect(await sql(`select id from messages where channel_id = :channelId`, { channelId })).toHaveLength(0);
  });
});

describe('when the channel is unknown or deleted', () => {
  it('throws NotFoundError for an unknown channel', async () => {
    const missing = newId();
    const error = await pipeline.accept(textFrom(missing, '+15550000070')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).message).toBe(`channel ${missing} was not found`);
  });

  it('throws NotFoundError for a deleted channel', async () => {
    const { channelId } = await createChannel({ deleted: true });
    await expect(pipeline.accept(textFrom(channelId, '+15550000071'))).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('when many accepts run at once (they share statements)', () => {
  /** A pipeline whose warnings the test can read. */
  function pipelineWithWarnings(): { pipeline: InboundPipeline; warnings: { msg: string; rows?: number }[] } {
    const warnings: { msg: string; rows?: number }[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
    return { pipeline: new InboundPipeline({ orm: env.orm, logger, clock: systemClock }), warnings };
  }

  it('stores 200 messages from 50 senders once each, with one contact and one conversation per sender at its latest activity', async () => {
    const { channelId } = await createChannel();
    const phones = Array.from({ length: 50 }, (_, i) => `+1555100${String(i).padStart(4, '0')}`);
    const messages = Array.from({ length: 200 }, (_, i) => textFrom(channelId, phones[i % phones.length]!, `message ${i}`));
    const { pipeline: watched, warnings } = pipelineWithWarnings();
    const results = await Promise.all(messages.map((m) => watched.accept(m)));

    // No statement failed: none of them had two messages of one sender.
    expect(warnings).toEqual([]);
    expect(results.every((r) => !r.duplicate)).toBe(true);
    const stored = await sql<{ id: string; text: string; phone: string; contactId: string; conversationId: string }>(
      `select m.id, m.text, c.phone, m.contact_id as "contactId", m.conversation_id as "conversationId"
         from messages m join contacts c on c.id = m.contact_id where m.channel_id = :channelId`,
      { channelId },
    );
    expect(stored).toHaveLength(200);
    const byId = new Map(stored.map((s) => [s.id, s]));
    results.forEach((r, i) => {
      // Each caller gets the ids of its own message.
      expect(byId.get(r.messageId)).toEqual({
        id: r.messageId,
        text: messages[i]!.text,
        phone: messages[i]!.from.phone,
        contactId: r.contactId,
        conversationId: r.conversationId,
      });
    });
    const senders = await sql<{
      phone: string;
      contacts: number;
      conversations: number;
      lastSeenIsLatest: boolean;
      lastMessageIsLatest: boolean;
      lastInboundIsLatest: boolean;
    }>(
      `select c.phone, count(distinct c.id)::int as contacts, count(distinct v.id)::int as conversations,
              -- Last seen is kept to the minute (LAST_SEEN_STEP_SECONDS); the conversation's times exactly.
              bool_and(c.last_seen_at <= latest.at and c.last_seen_at > latest.at - interval '${LAST_SEEN_STEP_SECONDS} seconds') as "lastSeenIsLatest",
              bool_and(v.last_message_at = latest.at) as "lastMessageIsLatest",
              bool_and(v.last_inbound_at = latest.at) as "lastInboundIsLatest"
         from conversations v
         join contacts c on c.id = v.contact_id
         cross join lateral (select max(m.created_at) as at from messages m where m.conversation_id = v.id) latest
        where v.channel_id = :channelId
        group by c.phone order by c.phone`,
      { channelId },
    );
    expect(senders).toEqual(
      phones.map((phone) => ({
        phone,
        contacts: 1,
        conversations: 1,
        lastSeenIsLatest: true,
        lastMessageIsLatest: true,
        lastInboundIsLatest: true,
      })),
    );
  });

  it('stores one message when a provider id arrives several times in one burst, and answers every caller its ids', async () => {
    const { channelId } = await createChannel();
    const repeated = textFrom(channelId, '+15551010000', 'repeated', 'wamid.burst-repeat');
    // The same provider id from another phone shares a statement with the first (one row per phone per statement).
    const spoofed = { ...repeated, from: { phone: '+15551010001' } };
    const others = Array.from({ length: 20 }, (_, i) => textFrom(channelId, `+1555102${String(i).padStart(4, '0')}`));
    const { pipeline: watched, warnings } = pipelineWithWarnings();
    const results = await Promise.all([...others, repeated, spoofed, repeated, repeated].map((m) => watched.accept(m)));

    expect(warnings).toEqual([]);
    const sameId = results.slice(others.length);
    const originals = sameId.filter((r) => !r.duplicate);
    expect(originals).toHaveLength(1);
    for (const r of sameId) expect(r).toEqual({ ...originals[0]!, duplicate: r.duplicate });
    expect(
      await sql(`select id from messages where channel_id = :channelId and provider_message_id = 'wamid.burst-repeat'`, { channelId }),
    ).toHaveLength(1);
    expect(await sql(`select id from messages where channel_id = :channelId`, { channelId })).toHaveLength(others.length + 1);
  });

  it('stores every message of a burst whose shared statement fails, each alone (two phones of one contact found by its external id)', async () => {
    const { channelId } = await createChannel();
    const known = await pipeline.accept({
      channelId,
      providerMessageId: newId(),
      from: { externalIds: [{ kind: 'wa_lid', value: '777@lid' }] },
      type: 'text',
      text: 'hi',
    });
    const { pipeline: watched, warnings } = pipelineWithWarnings();
    const messages = [
      ...Array.from({ length: 10 }, (_, i) => textFrom(channelId, `+1555103${String(i).padStart(4, '0')}`)),
      // Both find the contact by its LID: one statement would upsert its conversation twice.
      {
        channelId,
        providerMessageId: newId(),
        from: { phone: '+15551039998', externalIds: [{ kind: 'wa_lid' as const, value: '777@lid' }] },
        type: 'text' as const,
        text: 'from one phone',
      },
      {
        channelId,
        providerMessageId: newId(),
        from: { phone: '+15551039999', externalIds: [{ kind: 'wa_lid' as const, value: '777@lid' }] },
        type: 'text' as const,
        text: 'from another',
      },
    ];
    const results = await Promise.all(messages.map((m) => watched.accept(m)));

    expect(warnings).toEqual([
      expect.objectContaining({ msg: 'a shared inbound statement failed; storing each of its messages alone', rows: messages.length }),
    ]);
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(results.slice(-2).map((r) => r.contactId)).toEqual([known.contactId, known.contactId]);
    const stored = await sql<{ id: string }>(`select id from messages where channel_id = :channelId`, { channelId });
    expect(stored.map((s) => s.id).sort()).toEqual([known.messageId, ...results.map((r) => r.messageId)].sort());
  });

  it('answers NotFoundError to the accept for an unknown channel and stores the others of the burst', async () => {
    const { channelId } = await createChannel();
    const missing = newId();
    const others = Array.from({ length: 10 }, (_, i) => textFrom(channelId, `+1555104${String(i).padStart(4, '0')}`));
    const outcomes = await Promise.allSettled([textFrom(missing, '+15551049999'), ...others].map((m) => pipeline.accept(m)));

    const [lost, ...stored] = outcomes;
    expect(lost).toMatchObject({ status: 'rejected', reason: expect.any(NotFoundError) });
    expect(((lost as PromiseRejectedResult).reason as NotFoundError).message).toBe(`channel ${missing} was not found`);
    expect(stored.every((o) => o.status === 'fulfilled' && !o.value.duplicate)).toBe(true);
    expect(await sql(`select id from messages where channel_id = :channelId`, { channelId })).toHaveLength(others.length);
  });
});
