import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../engine/clock.ts';
import { hashPassword } from '../crypto/password.ts';
import type { Orm } from '../db/orm.ts';
import { newId } from '../ids.ts';
import { IdRow, runSql } from '../pipeline/run-sql.ts';
import { seedDemoFlow } from './seed-demo-flow.ts';

export interface DemoSeedOptions {
  email: string;
  password: string;
  clock: Clock;
}

export interface DemoSeedResult {
  workspaceId: string;
  userId: string;
  /** True when this call created the demo workspace (and its channel and sample chats). */
  createdWorkspace: boolean;
  /** True when this call created the demo user. */
  createdUser: boolean;
}

export const DEMO_WORKSPACE_NAME = 'Demo workspace';
export const DEMO_CHANNEL_NAME = 'Demo sandbox';

/** The row of every statement here that answers an id (an insert's `returning id`, a lookup). */

/** Sample contacts and what they said, so that the inbox is not empty on first start. */
const DEMO_CHATS = [
  {
    phone: '+15550100001',
    name: 'Ada Lovelace',
    tags: ['lead'],
    lines: [
      ['in', 'Hi! What does the Pro plan cost?'],
      ['out', 'Hello Ada! Pro is 29 EUR a month. Shall I send you the price list?'],
      ['in', 'Yes please'],
    ],
  },
  {
    phone: '+15550100002',
    name: 'Grace Hopper',
    tags: ['customer'],
    lines: [
      ['in', 'My order has not arrived yet'],
      ['out', 'Sorry about that, Grace. An agent will look at it right away.'],
    ],
  },
  { phone: '+15550100003', name: 'Alan Turing', tags: [], lines: [['in', 'PRICE']] },
] as const;

/**
 * Seeds the demo workspace: the workspace, its owner (DEMO_EMAIL / DEMO_PASSWORD), a sandbox
 * channel, a few sample conversations and the keyword auto-reply flow (see seed-demo-flow.ts).
 *
 * Idempotent, and safe when several processes start at once: the workspace row is inserted with
 * `on conflict do nothing` against the partial unique index `workspaces_one_demo`, so exactly one
 * caller creates it, and only that caller adds the channel and the chats, in the same
 * transaction (the others wait on the index entry, then see the committed workspace). An existing
 * demo user keeps their password: a person may have changed it.
 */
export async function seedDemo(orm: Orm, opts: DemoSeedOptions): Promise<DemoSeedResult> {
  const email = opts.email.toLowerCase();
  const em = orm.em.fork();
  // Hash outside the transaction (scrypt takes ~100 ms), and only when the user is missing.
  const existingUser = await findUserId(em, email);
  const passwordHash = existingUser ? null : await hashPassword(opts.password);

  return em.transactional(async (tx) => {
    const now = opts.clock.now();
    const inserted = (
      await runSql(
        tx,
        `insert into workspaces (id, name, is_demo, created_at, updated_at) values (:id, :name, true, :now, :now) on conflict (is_demo) where is_demo do nothing returning id`,
        { id: newId(), name: DEMO_WORKSPACE_NAME, now },
        { row: IdRow },
      )
    ).rows;
    const createdWorkspace = inserted.length > 0;
    const workspaceId = createdWorkspace
      ? inserted[0]!.id
      : (await runSql(tx, `select id from workspaces where is_demo`, {}, { row: IdRow })).rows[0]!.id;

    let createdUser = false;
    if (passwordHash) {
      const { rows } = await runSql(
        tx,
        `insert into users (id, email, name, password_hash, created_at, updated_at) values (:id, :email, 'Demo owner', :passwordHash, :now, :now) on conflict (email) do nothing returning id`,
        { id: newId(), email, passwordHash, now },
        { row: IdRow },
      );
      createdUser = rows.length > 0;
    }
    const userId = (await findUserId(tx, email))!;
    await runSql(
      tx,
      `insert into memberships (id, workspace_id, user_id, role, created_at) values (:id, :workspaceId, :userId, 'owner', :now) on conflict (workspace_id, user_id) do nothing`,
      { id: newId(), workspaceId, userId, now },
    );

    if (createdWorkspace) await seedSampleData(tx, workspaceId, now);
    await seedDemoFlow(tx, workspaceId, now);
    return { workspaceId, userId, createdWorkspace, createdUser };
  });
}

async function findUserId(em: EntityManager, email: string): Promise<string | undefined> {
  return (await runSql(em, `select id from users where email = :email`, { email }, { row: IdRow })).rows[0]?.id;
}

/** The sandbox channel and sample chats; only ever called by the caller that created the workspace. */
async function seedSampleData(tx: EntityManager, workspaceId: string, now: Date): Promise<void> {
  const channelId = newId();
  await runSql(
    tx,
    `insert into channels (id, workspace_id, kind, name, status, display_identifier, status_changed_at, created_at, updated_at)
     values (:channelId, :workspaceId, 'sandbox', :name, 'connected', 'sandbox', :now, :now, :now)`,
    { channelId, workspaceId, name: DEMO_CHANNEL_NAME, now },
  );
  // Spread the sample messages over the last hour so that the inbox order looks natural.
  let at = now.getTime() - 60 * 60 * 1000;
  for (const chat of DEMO_CHATS) {
    const contactId = newId();
    const conversationId = newId();
    const messages = chat.lines.map(([direction, text]) => {
      at += 4 * 60 * 1000;
      const sentAt = new Date(at).toISOString();
      const inbound = direction === 'in';
      return {
        id: newId(),
        direction: inbound ? 'inbound' : 'outbound',
        sender: inbound ? 'contact' : 'bot',
        provider_message_id: `demo-${newId()}`,
        text,
        status: inbound ? 'received' : 'read',
        status_times: inbound ? { received: sentAt } : { queued: sentAt, sent: sentAt, delivered: sentAt, read: sentAt },
        created_at: sentAt,
        // Sample history: inbound messages are marked handled, so no flow (the demo's or one published later) ever answers them.
        handled_at: inbound ? sentAt : null,
      };
    });
    const lastAt = messages.at(-1)!.created_at;
    const lastInboundAt = messages.filter((m) => m.direction === 'inbound').at(-1)?.created_at ?? null;
    // The contact was last seen when they last wrote, like a contact whose messages came in.
    await runSql(
      tx,
      `insert into contacts (id, workspace_id, phone, name, tags, created_at, updated_at, last_seen_at) values (:contactId, :workspaceId, :phone, :name, cast(:tags as text[]), :now, :now, :lastInboundAt)`,
      { contactId, workspaceId, phone: chat.phone, name: chat.name, tags: [...chat.tags], now, lastInboundAt },
    );
    await runSql(
      tx,
      `insert into contact_identities (id, workspace_id, contact_id, channel_id, kind, value, created_at) values (:id, :workspaceId, :contactId, :channelId, 'phone', :phone, :now)`,
      {
        id: newId(),
        workspaceId,
        contactId,
        channelId,
        phone: chat.phone,
        now,
      },
    );
    await runSql(
      tx,
      `insert into conversations (id, workspace_id, channel_id, contact_id, status, last_message_at, last_inbound_at, created_at, updated_at)
       values (:conversationId, :workspaceId, :channelId, :contactId, 'open', :lastAt, :lastInboundAt, :now, :now)`,
      { conversationId, workspaceId, channelId, contactId, lastAt, lastInboundAt, now },
    );
    await runSql(
      tx,
      `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, provider_message_id, type, text, status, status_times, created_at, handled_at)
       select m.id, :workspaceId, :channelId, :conversationId, :contactId, m.direction, m.sender, m.provider_message_id, 'text', m.text, m.status, m.status_times, m.created_at, m.handled_at
         from jsonb_to_recordset(cast(:messages as jsonb))
           as m(id uuid, direction text, sender text, provider_message_id text, text text, status text, status_times jsonb, created_at timestamptz, handled_at timestamptz)`,
      { workspaceId, channelId, conversationId, contactId, messages: JSON.stringify(messages) },
    );
  }
}
