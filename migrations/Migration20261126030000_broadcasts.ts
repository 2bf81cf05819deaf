import { Migration } from '@mikro-orm/migrations';

/**
 * Broadcasts and their recipients (issue 6). A recipient row is the snapshot of one contact
 * taken when the broadcast starts; its message (or run) is recorded in the outbox with the key
 * `broadcast:<broadcast id>:<recipient id>`, so that a retried or resumed batch never sends twice.
 * A recipient's delivery status is its message's status, read through `message_id`: status
 * updates from the provider feed it without a second write.
 */
export class Migration20261126030000_broadcasts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table broadcasts (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      -- An occurrence of a recurring broadcast points to it.
      parent_id uuid references broadcasts(id) on delete cascade,
      occurrence_key text,
      name text not null,
      channel_id uuid not null references channels(id) on delete cascade,
      audience jsonb not null,
      content jsonb not null,
      schedule jsonb not null,
      quiet_hours jsonb,
      pace_per_minute integer check (pace_per_minute > 0),
      state text not null check (state in ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled', 'failed')),
      state_reason text,
      next_run_at timestamptz,
      -- Bumped by every resume: batch jobs of an earlier generation find nothing to do.
      generation integer not null default 0,
      -- Batches are due one after another from this batch, at this instant, at the pace.
      pace_anchor_batch integer not null default 0,
      pace_anchor_at timestamptz,
      -- The pace used: the broadcast's own, never faster than the channel's caps; null when neither limits it.
      effective_pace_per_minute integer,
      batch_size integer not null default 0,
      batch_count integer not null default 0,
      created_by uuid references users(id) on delete set null,
      started_at timestamptz,
      finished_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create index broadcasts_workspace on broadcasts (workspace_id, created_at desc, id desc)`);
    // One occurrence per firing of a recurring broadcast's scheduler, however often the firing is retried.
    this.addSql(`create unique index broadcasts_occurrence on broadcasts (parent_id, occurrence_key) where parent_id is not null`);
    // The broadcast reconciler's scan.
    this.addSql(`create index broadcasts_active on broadcasts (state, updated_at) where state in ('scheduled', 'running')`);

    this.addSql(`create table broadcast_recipients (
      id uuid primary key,
      broadcast_id uuid not null references broadcasts(id) on delete cascade,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      contact_id uuid not null references contacts(id) on delete cascade,
      batch integer not null,
      -- pending: not yet recorded in the outbox; queued: its message or run is recorded; skipped: see skip_reason.
      state text not null check (state in ('pending', 'queued', 'skipped')),
      skip_reason text,
      -- No foreign key: retention may delete the message; the recipient keeps its place in the counts.
      message_id uuid,
      run_id uuid,
      -- In its quiet hours when its batch ran: not to be sent before this.
      not_before timestamptz,
      -- The contact opted out (a STOP reply) after this broadcast reached them.
      opted_out_at timestamptz,
      updated_at timestamptz not null default now(),
      unique (broadcast_id, contact_id)
    )`);
    // A batch job takes its batch's pending recipients.
    this.addSql(`create index broadcast_recipients_pending on broadcast_recipients (broadcast_id, batch) where state = 'pending'`);
    // A STOP reply finds the broadcasts that reached the contact.
    this.addSql(`create index broadcast_recipients_contact on broadcast_recipients (contact_id, updated_at) where state = 'queued'`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table broadcast_recipients`);
    this.addSql(`drop table broadcasts`);
  }
}
