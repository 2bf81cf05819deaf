import { Migration } from '@mikro-orm/migrations';

/**
 * Retention and data-subject rights (issue 16).
 * - `retention_settings`: a workspace's retention period per data kind and its sweep schedule.
 * - `legal_holds`: data that must be kept (a contact, a conversation, the whole workspace) until
 *   released; `contacts.legal_hold` mirrors an active contact hold, written in the same transaction.
 * - `retention_sweeps`: one row per sweep, its cutoffs fixed when it was created (a resumed sweep
 *   deletes up to the same instant), its progress per kind written in the transaction of each
 *   batch (so the counts survive a crash exactly), and a lease (one runner at a time).
 * - `pending_file_deletions`: files (media, exports) whose rows are gone; written in the
 *   transaction that deletes the rows and removed once the file is unlinked, so a crash between
 *   commit and unlink leaves a to-do, never an orphan file.
 * - `consent_events`: the consent history (opt-out, opt-in, restriction), not only a flag.
 * - `contact_exports`: access/portability requests and their archives (deleted after 7 days).
 * - Erasure replaces a broadcast recipient's contact by a tombstone (`contact_id` null,
 *   `erased_at` set) so that a broadcast's totals still add up.
 * - A workspace's deletion waits for a grace period (`deletion_due_at`).
 */
export class Migration20261207030000_privacy extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table retention_settings (
      workspace_id uuid primary key references workspaces(id) on delete cascade,
      -- Days per kind; a kind left out has its default, null keeps that kind forever.
      policy jsonb not null default '{}',
      schedule_cron text not null default '0 3 * * *',
      updated_by uuid references users(id) on delete set null,
      updated_at timestamptz not null default now()
    )`);

    this.addSql(`create table legal_holds (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      scope text not null check (scope in ('workspace', 'contact', 'conversation')),
      contact_id uuid references contacts(id) on delete cascade,
      conversation_id uuid references conversations(id) on delete cascade,
      reason text not null check (length(reason) between 1 and 500),
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      released_at timestamptz,
      released_by uuid references users(id) on delete set null,
      check ((scope = 'contact') = (contact_id is not null)),
      check ((scope = 'conversation') = (conversation_id is not null))
    )`);
    // Sweeps and erasure read the active holds of a workspace before each batch.
    this.addSql(`create index legal_holds_active on legal_holds (workspace_id) where released_at is null`);
    this.addSql(`create index legal_holds_workspace on legal_holds (workspace_id, created_at desc)`);

    this.addSql(`create table retention_sweeps (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      status text not null check (status in ('queued', 'running', 'completed', 'failed')),
      dry_run boolean not null default false,
      trigger text not null check (trigger in ('schedule', 'api', 'cli')),
      requested_by uuid references users(id) on delete set null,
      policy jsonb not null,
      cutoffs jsonb not null,
      progress jsonb not null default '{}',
      lease_owner text,
      lease_until timestamptz,
      error text,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz
    )`);
    // One sweep per workspace at a time: the second request finds this index, not a race.
    this.addSql(`create unique index retention_sweeps_one_active on retention_sweeps (workspace_id) where status in ('queued', 'running')`);
    this.addSql(`create index retention_sweeps_workspace on retention_sweeps (workspace_id, created_at desc)`);

    this.addSql(`create table pending_file_deletions (
      kind text not null check (kind in ('media', 'export')),
      key text not null,
      created_at timestamptz not null default now(),
      primary key (kind, key)
    )`);

    this.addSql(`create table consent_events (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      contact_id uuid not null references contacts(id) on delete cascade,
      action text not null check (action in ('opt_out', 'opt_in', 'restrict', 'unrestrict')),
      source text not null check (source in ('keyword', 'node', 'api', 'editor')),
      channel_id uuid references channels(id) on delete set null,
      actor_user_id uuid references users(id) on delete set null,
      run_id uuid,
      created_at timestamptz not null default now()
    )`);
    this.addSql(`create index consent_events_contact on consent_events (contact_id, created_at)`);

    this.addSql(`create table contact_exports (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      contact_id uuid not null references contacts(id) on delete cascade,
      status text not null check (status in ('queued', 'running', 'ready', 'failed', 'expired')),
      progress integer not null default 0 check (progress between 0 and 100),
      file_key text,
      size_bytes bigint,
      error text,
      requested_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      finished_at timestamptz,
      expires_at timestamptz
    )`);
    this.addSql(`create index contact_exports_workspace on contact_exports (workspace_id, created_at desc)`);
    this.addSql(`create index contact_exports_expiry on contact_exports (expires_at) where status = 'ready'`);

    this.addSql(`alter table broadcast_recipients alter column contact_id drop not null`);
    this.addSql(`alter table broadcast_recipients add column erased_at timestamptz`);
    this.addSql(
      `alter table broadcast_recipients add constraint broadcast_recipients_contact_or_tombstone check (contact_id is not null or erased_at is not null)`,
    );
    // The retention sweep of recipient rows walks finished broadcasts, then their recipients.
    this.addSql(
      `create index broadcasts_finished on broadcasts (workspace_id, finished_at) where state in ('completed', 'cancelled', 'failed')`,
    );

    // The media sweep visits only messages that still have a file.
    this.addSql(`create index messages_media_files on messages (workspace_id, created_at) where media ? 'storageKey'`);
    this.addSql(`create index whatsapp_sent_content_message on whatsapp_sent_content (wa_message_id)`);

    this.addSql(`alter table workspaces add column deletion_requested_at timestamptz`);
    this.addSql(`alter table workspaces add column deletion_due_at timestamptz`);
    this.addSql(`alter table workspaces add column deletion_requested_by uuid references users(id) on delete set null`);
    this.addSql(`create index workspaces_deletion_due on workspaces (deletion_due_at) where deletion_due_at is not null`);
    // A deleted user's usage data goes with them.
    this.addSql(`create index usage_events_user on usage_events (user_id) where user_id is not null`);
    this.addSql(`create index audit_log_target on audit_log (target_id) where target_id is not null`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists audit_log_target`);
    this.addSql(`drop index if exists usage_events_user`);
    this.addSql(`drop index if exists workspaces_deletion_due`);
    this.addSql(`alter table workspaces drop column deletion_requested_by, drop column deletion_due_at, drop column deletion_requested_at`);
    this.addSql(`drop index if exists whatsapp_sent_content_message`);
    this.addSql(`drop index if exists messages_media_files`);
    this.addSql(`drop index if exists broadcasts_finished`);
    this.addSql(`delete from broadcast_recipients where contact_id is null`);
    this.addSql(`alter table broadcast_recipients drop constraint broadcast_recipients_contact_or_tombstone`);
    this.addSql(`alter table broadcast_recipients drop column erased_at`);
    this.addSql(`alter table broadcast_recipients alter column contact_id set not null`);
    for (const table of [
      'contact_exports',
      'consent_events',
      'pending_file_deletions',
      'retention_sweeps',
      'legal_holds',
      'retention_settings',
    ])
      this.addSql(`drop table if exists ${table}`);
  }
}
