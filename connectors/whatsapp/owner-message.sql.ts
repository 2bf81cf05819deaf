import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { newId } from '../../platform/ids.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';

/*
 * A message the owner typed on the phone: an outbound message by a person ('owner'), already
 * sent, in the contact's open conversation; optionally the bot pauses there so that it does not
 * talk over the owner. A chat with no open conversation here is recorded by the inbound
 * pipeline instead (`acceptOwnerMessage`), which creates the contact and conversation.
 */
const OWNER_MESSAGE_SQL = `
with contact as (
  select ci.contact_id as id from contact_identities ci
   where ci.channel_id = cast(:channelId as uuid) and ci.kind || ':' || ci.value = any(cast(:identities as text[]))
   limit 1
),
conv as (
  select c.id, c.contact_id, c.workspace_id from conversations c join contact on c.contact_id = contact.id
   where c.channel_id = cast(:channelId as uuid) and c.status <> 'resolved'
   limit 1
),
paused as (
  update conversations set bot_paused = true, updated_at = now()
   where id in (select id from conv) and cast(:pause as boolean) and not bot_paused
  returning id
),
msg as (
  insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, provider_message_id, type, text, metadata, status, status_times, created_at)
  select cast(:messageId as uuid), conv.workspace_id, cast(:channelId as uuid), conv.id, conv.contact_id, 'outbound', 'owner', :providerMessageId,
         cast(:messageType as text), cast(:body as text), cast(:metadata as jsonb), 'sent', jsonb_build_object('sent', cast(:at as text)), cast(:at as timestamptz)
    from conv
  on conflict (channel_id, provider_message_id) where provider_message_id is not null do nothing
  returning id
)
select (select id from msg) as "messageId", (select count(*) from paused)::int as paused, (select count(*) from conv)::int as conversations`;
const OwnerMessageRow = z.object({ messageId: z.string().nullable(), paused: z.number(), conversations: z.number() });

export interface OwnerMessageInput {
  channelId: string;
  providerMessageId: string;
  identities: { kind: string; value: string }[];
  type: string;
  text: string | null;
  metadata: Record<string, unknown>;
  at: Date;
  pauseBot: boolean;
}

/** Records an owner's message; `recorded` is false for an unknown contact or a repeat. */
export async function recordOwnerMessage(
  em: EntityManager,
  input: OwnerMessageInput,
): Promise<{ recorded: boolean; pausedBot: boolean; knownConversation: boolean }> {
  const { rows } = await runSql(
    em,
    OWNER_MESSAGE_SQL,
    {
      channelId: input.channelId,
      identities: input.identities.map((i) => `${i.kind}:${i.value}`),
      pause: input.pauseBot,
      messageId: newId(),
      providerMessageId: input.providerMessageId,
      messageType: input.type,
      body: input.text,
      metadata: JSON.stringify(input.metadata),
      at: input.at.toISOString(),
    },
    { row: OwnerMessageRow },
  );
  const row = rows[0]!;
  return { recorded: row.messageId !== null, pausedBot: row.paused > 0, knownConversation: row.conversations > 0 };
}

/** Pauses the bot in a conversation the owner just wrote in from the phone. */
export async function pauseBotInConversation(em: EntityManager, conversationId: string): Promise<void> {
  await runSql(em, `update conversations set bot_paused = true, updated_at = now() where id = :conversationId and not bot_paused`, {
    conversationId,
  });
}
