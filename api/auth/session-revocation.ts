import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import type { Session } from './session-tokens.ts';

/** Expired revoked rows removed per logout: bounded work for the caller, and more than logouts add. */
const PURGE_BATCH_ROWS = 1_000;

/**
 * Ends one session (logout): its token id is refused by authenticate() until the token expires.
 * A revoked row is useless once its token has expired (the signature check refuses it), so
 * each logout also removes a batch of such rows: the table holds about a week of logouts and
 * needs no sweeper of its own.
 */
export async function revokeSession(em: EntityManager, session: Pick<Session, 'id' | 'userId' | 'expiresAt'>): Promise<void> {
  await runSql(
    em,
    `with purged as (
       delete from revoked_sessions where jti in (select jti from revoked_sessions where expires_at < now() limit :purgeRows)
     )
     insert into revoked_sessions (jti, user_id, expires_at) values (:jti, :userId, :expiresAt) on conflict (jti) do nothing`,
    { jti: session.id, userId: session.userId, expiresAt: session.expiresAt, purgeRows: PURGE_BATCH_ROWS },
  );
}

const BUMP_TOKEN_VERSION_SQL = `update users set token_version = token_version + 1, updated_at = now() where id = :userId returning token_version as "tokenVersion"`;

const TokenVersionRow = z.object({ tokenVersion: z.number() });

/**
 * Ends every session of a user, in every workspace ("log out everywhere", a password change, a
 * removal from a workspace): bumps `users.token_version`, which every older token carries.
 * Returns the new version, for a fresh token issued after it.
 */
export async function endEverySession(em: EntityManager, userId: string): Promise<number> {
  const { rows } = await runSql(em, BUMP_TOKEN_VERSION_SQL, { userId }, { row: TokenVersionRow });
  return rows[0]?.tokenVersion ?? 0;
}
