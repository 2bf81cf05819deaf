import { Migration } from '@mikro-orm/migrations';

/**
 * Workspace secrets (issue 13): values that flows send to outside APIs (`{{secrets.NAME}}` in
 * an HTTP request node) without the flow document holding them. The value is sealed with the
 * installation's key (AES-256-GCM) bound to the workspace, the secret's id and its name, so a
 * row copied to another workspace, or renamed, does not open. `value_last4` is what lists show
 * so that a person can tell two values apart; the rest of the value is never readable here.
 */
export class Migration20261206020000_secrets extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table workspace_secrets (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      name text not null check (name ~ '^[A-Za-z_][A-Za-z0-9_]{0,63}$'),
      sealed_value bytea not null,
      value_last4 text not null,
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (workspace_id, name)
    )`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table workspace_secrets`);
  }
}
