import type { EntityManager } from '@mikro-orm/postgresql';
import { runSql } from '../../platform/pipeline/run-sql.ts';

const EDIT_SQL = `update messages set text = cast(:text as text), edited_at = cast(:at as timestamptz)
 where channel_id = cast(:channelId as uuid) and provider_message_id = :providerMessageId and deleted_at is null`;
/* The sender deleted it for everyone: the content goes too, the row stays so the thread keeps its shape. */
const DELETE_SQL = `update messages set deleted_at = cast(:at as timestamptz), text = null, media = null
 where channel_id = cast(:channelId as uuid) and provider_message_id = :providerMessageId and deleted_at is null`;

/** Applies an edit to a stored message; false when we do not have it (or it was deleted). */
export async function applyEdit(em: EntityManager, channelId: string, providerMessageId: string, text: string, at: Date): Promise<boolean> {
  return (await runSql(em, EDIT_SQL, { channelId, providerMessageId, text, at })).rowCount > 0;
}

/** Applies a delete-for-everyone to a stored message; false when we do not have it. */
export async function applyDelete(em: EntityManager, channelId: string, providerMessageId: string, at: Date): Promise<boolean> {
  return (await runSql(em, DELETE_SQL, { channelId, providerMessageId, at })).rowCount > 0;
}
