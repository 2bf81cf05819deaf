import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { IdRow, runSql } from '../pipeline/run-sql.ts';

/*
 * The lock key of an id: 64 bits of its MD5, so two ids sharing a lock is negligible (and would
 * only delay one of them). Both functions below must compute the same key for the same id.
 */
const LOCK_KEY = (id: string) => `('x' || substr(md5(${id}), 1, 16))::bit(64)::bigint`;

const TRY_LOCK_SQL = `select pg_try_advisory_xact_lock(${LOCK_KEY(':id')}) as locked`;
const TryLockRow = z.object({ locked: z.boolean() });
const TRY_LOCK_MANY_SQL = `select asked.id from unnest(cast(:ids as text[])) as asked(id) where pg_try_advisory_xact_lock(${LOCK_KEY('asked.id')})`;

/**
 * Takes the transaction-scoped advisory lock of a conversation (or of a run that has none),
 * without waiting. Released at commit or rollback.
 */
export async function tryLockConversation(em: EntityManager, id: string): Promise<boolean> {
  const { rows } = await runSql(em, TRY_LOCK_SQL, { id }, { row: TryLockRow });
  return rows[0]?.locked === true;
}

/** Takes the locks of several conversations in one statement, without waiting; answers the ids locked. */
export async function tryLockConversations(em: EntityManager, ids: readonly string[]): Promise<Set<string>> {
  const { rows } = await runSql(em, TRY_LOCK_MANY_SQL, { ids }, { row: IdRow });
  return new Set(rows.map((r) => r.id));
}
