import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { StoredPollSchema, type StoredPoll } from './poll-votes.ts';

const LOCK_SQL = `select metadata->'poll' as poll from messages
 where channel_id = cast(:channelId as uuid) and provider_message_id = :providerMessageId and deleted_at is null for update`;
/** Any value: StoredPollSchema below decides whether it is a poll (null when the message has none). */
const LockedPollRow = z.object({ poll: z.unknown() });
const SAVE_SQL = `update messages set metadata = jsonb_set(metadata, '{poll}', cast(:poll as jsonb))
 where channel_id = cast(:channelId as uuid) and provider_message_id = :providerMessageId`;

/**
 * Changes a stored poll under its row lock (two votes on one poll never lose each other);
 * false when we do not have the poll.
 */
export async function updatePoll(
  em: EntityManager,
  target: { channelId: string; providerMessageId: string },
  change: (poll: StoredPoll) => StoredPoll,
): Promise<boolean> {
  return em.transactional(async (tx) => {
    const row = (await runSql(tx, LOCK_SQL, target, { row: LockedPollRow })).rows[0];
    const parsed = StoredPollSchema.safeParse(row?.poll);
    if (!parsed.success) return false;
    await runSql(tx, SAVE_SQL, { ...target, poll: JSON.stringify(change(parsed.data)) });
    return true;
  });
}
