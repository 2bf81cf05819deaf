import { Migration } from '@mikro-orm/migrations';

/**
 * Revocable sessions (issue 13). Session tokens stay signed JWTs, checked on every request
 * against two facts kept here:
 * - `users.token_version`: a token carries the version current when it was issued (`ver`);
 *   bumping it ("log out everywhere", a password change, being removed from a workspace)
 *   ends every token issued before.
 * - `revoked_sessions`: one row per logged-out token (`jti`), kept until that token would
 *   have expired anyway; after that the signature check refuses it and the row is useless.
 */
export class Migration20261206010000_sessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table users add column token_version integer not null default 0`);
    this.addSql(`create table revoked_sessions (
      jti uuid primary key,
      user_id uuid not null references users(id) on delete cascade,
      expires_at timestamptz not null,
      revoked_at timestamptz not null default now()
    )`);
    // The purge of rows whose token has expired.
    this.addSql(`create index revoked_sessions_expiry on revoked_sessions (expires_at)`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table revoked_sessions`);
    this.addSql(`alter table users drop column token_version`);
  }
}
