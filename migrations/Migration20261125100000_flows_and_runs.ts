import { Migration } from '@mikro-orm/migrations';

/**
 * Flows, their immutable published versions, runs and run steps, and the inbound "handled"
 * marker that makes the messages table each conversation's inbox for the engine.
 */
export class Migration20261125100000_flows_and_runs extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table flows (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      name text not null check (length(name) between 1 and 200),
      description text,
      draft jsonb not null,
      -- Bumped on every draft save; a save names the revision it edited (conflict detection).
      draft_revision integer not null default 1,
      active boolean not null default false,
      published_version integer,
      -- SHA-256 of the inbound webhook token; the token itself is shown once.
      webhook_token_hash text,
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      deleted_at timestamptz
    )`);
    this.addSql(`create index flows_workspace on flows (workspace_id, created_at) where deleted_at is null`);

    this.addSql(`create table flow_versions (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      flow_id uuid not null references flows(id) on delete cascade,
      version integer not null,
      document jsonb not null,
      note text,
      published_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      unique (flow_id, version)
    )`);

    this.addSql(`create table runs (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      flow_id uuid not null references flows(id) on delete cascade,
      flow_version_id uuid not null references flow_versions(id) on delete cascade,
      contact_id uuid references contacts(id) on delete cascade,
      conversation_id uuid references conversations(id) on delete cascade,
      channel_id uuid references channels(id) on delete set null,
      status text not null check (status in ('running', 'waiting', 'completed', 'failed', 'stopped')),
      -- The node to execute next (running) or the node waiting (waiting).
      current_node_id text,
      state jsonb not null default '{}',
      wait jsonb,
      -- When a waiting run's timer fires; the reconciler looks for overdue runs with no job.
      due_at timestamptz,
      step_count integer not null default 0,
      trigger jsonb not null default '{}',
      stop_reason text,
      error jsonb,
      started_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      ended_at timestamptz
    )`);
    // The run a reply resumes: at most one run waits for a reply per conversation.
    this.addSql(`create index runs_waiting_reply on runs (conversation_id) where status = 'waiting'`);
    this.addSql(`create index runs_flow on runs (flow_id, started_at desc)`);
    this.addSql(`create index runs_due on runs (due_at) where status = 'waiting'`);
    this.addSql(`create index runs_unfinished on runs (updated_at) where status = 'running'`);
    // Runs started per contact per minute (the loop limit).
    this.addSql(`create index runs_contact_started on runs (contact_id, started_at)`);
    this.addSql(`create index runs_workspace_started on runs (workspace_id, started_at)`);

    this.addSql(`create table run_steps (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      run_id uuid not null references runs(id) on delete cascade,
      seq integer not null,
      node_id text not null,
      node_type text not null,
      input jsonb,
      output jsonb,
      port text,
      error jsonb,
      started_at timestamptz not null,
      finished_at timestamptz not null,
      unique (run_id, seq)
    )`);
    this.addSql(`create index run_steps_workspace_started on run_steps (workspace_id, started_at)`);

    // Inbound messages not yet handled by the engine: the per-conversation inbox, in id order.
    this.addSql(`alter table messages add column handled_at timestamptz`);
    this.addSql(`create index messages_unhandled on messages (conversation_id, id) where direction = 'inbound' and handled_at is null`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists messages_unhandled`);
    this.addSql(`alter table messages drop column if exists handled_at`);
    for (const table of ['run_steps', 'runs', 'flow_versions', 'flows']) this.addSql(`drop table if exists ${table}`);
  }
}
