import type { EntityManager } from '@mikro-orm/postgresql';
import { runSql } from '../../platform/pipeline/run-sql.ts';

/*
 * Reactions live on the message they react to, in `metadata.reactions`: one entry per reactor
 * (WhatsApp allows one reaction per person and message; a new one replaces the old), removed
 * when the reactor takes it off. A jsonb entry keyed by the reactor makes a repeated event
 * (upsert and messages.reaction, a redelivery) idempotent: it can never count twice.
 */
const SET_SQL = `update messages set metadata = jsonb_set(metadata, '{reactions}',
   coalesce(metadata->'reactions', '{}'::jsonb) || jsonb_build_object(cast(:by as text), jsonb_build_object('emoji', cast(:emoji as text), 'at', cast(:at as text))))
 where channel_id = cast(:channelId as uuid) and provider_message_id = :providerMessageId`;
const REMOVE_SQL = `update messages set metadata = jsonb_set(metadata, '{reactions}', coalesce(metadata->'reactions', '{}'::jsonb) - cast(:by as text))
 where channel_id = cast(:channelId as uuid) and provider_message_id = :providerMessageId`;

/** Puts `by`'s reaction on a stored message (null emoji: takes it off); false when we do not have the message. */
export async function applyReaction(
  em: EntityManager,
  change: { channelId: string; providerMessageId: string; by: string; emoji: string | null; at: Date },
): Promise<boolean> {
  const { channelId, providerMessageId, by, emoji, at } = change;
  const result =
    emoji === null
      ? await runSql(em, REMOVE_SQL, { channelId, providerMessageId, by })
      : await runSql(em, SET_SQL, { channelId, providerMessageId, by, emoji, at: at.toISOString() });
  return result.rowCount > 0;
}
