import { Migration } from '@mikro-orm/migrations';

/**
 * Saved message templates. A template is a name and a pointer to its current version; every
 * edit inserts a new immutable version (its language variants, fallback language, text and
 * media). A published flow version pins, per template it uses, the version that was current
 * when it was published (`flow_versions.template_versions`: template id → version id), so
 * editing a template never changes what a published flow sends.
 *
 * A deleted template keeps its row (`deleted_at`) and its versions: runs still waiting in an
 * older flow version that pinned one of them keep sending what they were published with.
 */
export class Migration20261209010000_message_templates extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table message_templates (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      name text not null,
      current_version_id uuid not null,
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      deleted_at timestamptz
    )`);
    this.addSql(`create unique index message_templates_name on message_templates (workspace_id, lower(name)) where deleted_at is null`);
    this.addSql(`create table message_template_versions (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      template_id uuid not null references message_templates(id) on delete cascade,
      version integer not null,
      content jsonb not null,
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      unique (template_id, version)
    )`);
    this.addSql(`alter table flow_versions add column template_versions jsonb not null default '{}'::jsonb`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table flow_versions drop column template_versions`);
    this.addSql(`drop table message_template_versions`);
    this.addSql(`drop table message_templates`);
  }
}
