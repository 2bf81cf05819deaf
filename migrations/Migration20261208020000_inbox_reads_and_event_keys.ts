import { Migration } from '@mikro-orm/migrations';

/**
 * Inbox (issue 15), second part.
 *
 * - `conversation_reads`: each agent's read position in a conversation (the newest message they
 *   have seen; message ids are time-ordered), so that the list shows unread counts per agent.
 * - `conversation_events` loses its foreign keys to `workspaces` and `contacts`. They were
 *   redundant (an event dies with its conversation, which dies with its workspace and its
 *   contact) and costly: every event insert took a KEY SHARE lock on the one workspace row, so
 *   each busy inbox's concurrent transactions queued on multixacts of that row. The key to the
 *   conversation stays.
 */
export class Migration20261208020000_inbox_reads_and_event_keys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table conversation_reads (
      conversation_id uuid not null references conversations(id) on delete cascade,
      workspace_id uuid not null,
      user_id uuid not null,
      last_read_message_id uuid not null,
      read_at timestamptz not null default now(),
      primary key (conversation_id, user_id),
      foreign key (workspace_id, user_id) references memberships (workspace_id, user_id) on delete cascade
    )`);
    this.addSql(`create index conversation_reads_user on conversation_reads (workspace_id, user_id)`);
    this.addSql(
      `alter table conversation_events drop constraint conversation_events_workspace_id_fkey, drop constraint conversation_events_contact_id_fkey`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      `delete from conversation_events e where not exists (select 1 from contacts c where c.id = e.contact_id) and e.contact_id is not null`,
    );
    this.addSql(`alter table conversation_events
      add constraint conversation_events_workspace_id_fkey foreign key (workspace_id) references workspaces(id) on delete cascade,
      add constraint conversation_events_contact_id_fkey foreign key (contact_id) references contacts(id) on delete cascade`);
    this.addSql(`drop table conversation_reads`);
  }
}
