import { Migration } from '@mikro-orm/migrations';

/**
 * Invitations (issue 13): a workspace no longer creates accounts or memberships for someone
 * else; it invites an email, and the person holding the link accepts. The token is never stored,
 * only its sha256 (it carries 256 random bits, so a fast hash is enough: nothing can be guessed).
 * An invitation is pending while accepted_at, revoked_at are null and expires_at is ahead;
 * accepting claims the row with a conditional update, so a link is used once.
 */
export class Migration20261206000000_invitations extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table invitations (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      email text not null check (email = lower(email)),
      role text not null check (role in ('owner', 'admin', 'marketer', 'agent')),
      token_hash text not null unique,
      invited_by uuid references users(id) on delete set null,
      expires_at timestamptz not null,
      accepted_at timestamptz,
      accepted_by uuid references users(id) on delete set null,
      revoked_at timestamptz,
      created_at timestamptz not null default now(),
      check (accepted_at is null or revoked_at is null)
    )`);
    // One open invitation per email and workspace: inviting again revokes the open one first.
    this.addSql(
      `create unique index invitations_open on invitations (workspace_id, email) where accepted_at is null and revoked_at is null`,
    );
    this.addSql(`create index invitations_workspace on invitations (workspace_id, created_at desc)`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table invitations`);
  }
}
