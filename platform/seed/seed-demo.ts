import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../engine/clock.ts';
import { hashPassword } from '../crypto/password.ts';
import type { Orm } from '../db/orm.ts';
import { newId } from '../ids.ts';
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

/** Sample contacts and what they said, so that the inbox is not empty on first start. */
const DEMO_CHATS = [
  { phone: '+15550100001', name: 'Ada Lovelace', tags: ['lead'], lines: [['in', 'Hi! What does the Pro plan cost?'], ['out', 'Hello Ada! Pro is 29 EUR a month. Shall I send you the price list?'], ['in', 'Yes please']] },
  { phone: '+15550100002', name: 'Grace Hopper', tags: ['customer'], lines: [['in', 'My order has not arrived yet'], ['out', 'Sorry about that, Grace. An agent will look at it right away.']] },
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
    const inserted = await tx.execute<{ id: string }[]>(
      `insert into workspaces (id, name, is_demo, created_at, updated_at) values (?, ?, true, ?, ?) on conflict (is_demo) where is_demo do nothing returning id`,
      [newId(), DEMO_WORKSPACE_NAME, now, now],
    );
    const createdWorkspace = inserted.length > 0;
    const workspaceId = createdWorkspace ? inserted[0]!.id : (await tx.execute<{ id: string }[]>(`select id from workspaces where is_demo`))[0]!.id;

    let createdUser = false;
    if (passwordHash) {
      const rows = await tx.execute<{ id: string }[]>(
        `insert into users (id, email, name, password_hash, created_at, updated_at) values (?, ?, ?, ?, ?, ?) on conflict (email) do nothing returning id`,
        [newId(), email, 'Demo owner', passwordHash, now, now],
      );
      createdUser = rows.length > 0;
    }
    const userId = (await findUserId(tx, email))!;
    await tx.execute(`insert into memberships (id, workspace_id, user_id, role, created_at) values (?, ?, ?, 'owner', ?) on conflict (workspace_id, user_id) do nothing`, [newId(), workspaceId, userId, now]);

    if (createdWorkspace) await seedSampleData(tx, workspaceId, now);
    await seedDemoFlow(tx, workspaceId, now);
    return { workspaceId, userId, createdWorkspace, createdUser };
  });
}

async function findUserId(em: EntityManager, email: string): Promise<string | undefined> {
  const rows = await em.execute<{ id: string }[]>(`select id from users where email = ?`, [email]);
  return rows[0]?.id;
}

/** The sandbox channel and sample chats; only ever called by the caller that created the workspace. */
async function seedSampleData(tx: EntityManager, workspaceId: string, now: Date): Promise<void> {
  const channelId = newId();
  await tx.execute(
    `insert into channels (id, workspace_id, kind, name, status, display_identifier, status_changed_at, created_at, updated_at) values (?, ?, 'sandbox', ?, 'connected', 'sandbox', ?, ?, ?)`,
    [channelId, workspaceId, DEMO_CHANNEL_NAME, now, now, now],
  );
  // Spread the sample messages over the last hour so that the inbox order looks natural.
  let at = now.getTime() - 60 * 60 * 1000;
  for (const chat of DEMO_CHATS) {
    const contactId = newId();
    const conversationId = newId();
    await tx.execute(`insert into contacts (id, workspace_id, phone, name, tags, created_at, updated_at, last_seen_at) values (?, ?, ?, ?, ?, ?, ?, ?)`, [contactId, workspaceId, chat.phone, chat.name, `{${chat.tags.join(',')}}`, now, now, now]);
    await tx.execute(`insert into contact_identities (id, workspace_id, contact_id, channel_id, kind, value, created_at) values (?, ?, ?, ?, 'phone', ?, ?)`, [newId(), workspaceId, contactId, channelId, chat.phone, now]);
    await tx.execute(`insert into conversations (id, workspace_id, channel_id, contact_id, status, last_message_at, last_inbound_at, created_at, updated_at) values (?, ?, ?, ?, 'open', ?, ?, ?, ?)`, [
      conversationId,
      workspaceId,
      channelId,
      contactId,
      now,
      now,
      now,
      now,
    ]);
    let lastInboundAt = now;
    for (const [direction, text] of chat.lines) {
      at += 4 * 60 * 1000;
      const sentAt = new Date(at);
      const inbound = direction === 'in';
      if (inbound) lastInboundAt = sentAt;
      const status = inbound ? 'received' : 'read';
      const statusTimes = inbound ? { received: sentAt.toISOString() } : { queued: sentAt.toISOString(), sent: sentAt.toISOString(), delivered: sentAt.toISOString(), read: sentAt.toISOString() };
      await tx.execute(
        // Sample history: inbound messages are marked handled, so no flow (the demo's or one published later) ever answers them.
        `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, provider_message_id, type, text, status, status_times, created_at, handled_at) values (?, ?, ?, ?, ?, ?, ?, ?, 'text', ?, ?, ?, ?, ?)`,
        [newId(), workspaceId, channelId, conversationId, contactId, inbound ? 'inbound' : 'outbound', inbound ? 'contact' : 'bot', `demo-${newId()}`, text, status, JSON.stringify(statusTimes), sentAt, inbound ? sentAt : null],
      );
    }
    await tx.execute(`update conversations set last_message_at = ?, last_inbound_at = ? where id = ?`, [new Date(at), lastInboundAt, conversationId]);
  }
}
