import type { EntityManager } from '@mikro-orm/postgresql';
import { runSql } from '../pipeline/run-sql.ts';

/**
 * Takes the transaction-scoped advisory lock of a conversation (or of a run that has none),
 * without waiting. The key is 64 bits of the id's MD5, so two ids sharing a lock is negligible
 * (and would only delay one of them). Released at commit or rollback.
 */
export async function tryLockConversation(em: EntityManager, id: string): Promise<boolean> {
  const { rows } = await runSql<{ locked: boolean }>(em, `select pg_try_advisory_xact_lock(('x' || substr(md5(:id), 1, 16))::bit(64)::bigint) as locked`, { id });
  return rows[0]?.locked === true;
}

