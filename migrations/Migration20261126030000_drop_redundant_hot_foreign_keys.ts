import { Migration } from '@mikro-orm/migrations';

/**
 * Every row inserted on the message path checked up to five foreign keys, and each check takes a
 * KEY SHARE lock on the referenced row. When every concurrent transaction references the same
 * workspace, channel or flow row, those locks pile up in multixacts: in the engine benchmark the
 * checks cost about 2 ms of the inbound store statement alone (EXPLAIN ANALYZE, "Trigger for
 * constraint"). The keys dropped here are implied by another one that cascades: a message by its
 * conversation (which has the channel, contact and workspace), a conversation by its channel, an
 * identity by its contact, a run step by its run, a run by its flow version. Deletes still
 * cascade along those chains; the columns stay, indexed where queries need them.
 */
const DROPPED: { table: string; constraint: string; definition: string }[] = [
  { table: 'messages', constraint: 'messages_workspace_id_fkey', definition: 'foreign key (workspace_id) references workspaces(id) on delete cascade' },
  { table: 'messages', constraint: 'messages_channel_id_fkey', definition: 'foreign key (channel_id) references channels(id) on delete cascade' },
  { table: 'messages', constraint: 'messages_contact_id_fkey', definition: 'foreign key (contact_id) references contacts(id) on delete cascade' },
  { table: 'conversations', constraint: 'conversations_workspace_id_fkey', definition: 'foreign key (workspace_id) references workspaces(id) on delete cascade' },
  { table: 'contact_identities', constraint: 'contact_identities_workspace_id_fkey', definition: 'foreign key (workspace_id) references workspaces(id) on delete cascade' },
  { table: 'runs', constraint: 'runs_workspace_id_fkey', definition: 'foreign key (workspace_id) references workspaces(id) on delete cascade' },
  { table: 'runs', constraint: 'runs_flow_id_fkey', definition: 'foreign key (flow_id) references flows(id) on delete cascade' },
  { table: 'run_steps', constraint: 'run_steps_workspace_id_fkey', definition: 'foreign key (workspace_id) references workspaces(id) on delete cascade' },
];

export class Migration20261126030000_drop_redundant_hot_foreign_keys extends Migration {
  override async up(): Promise<void> {
    for (const key of DROPPED) this.addSql(`alter table ${key.table} drop constraint ${key.constraint}`);
  }

  override async down(): Promise<void> {
    for (const key of DROPPED) this.addSql(`alter table ${key.table} add constraint ${key.constraint} ${key.definition}`);
  }
}
