import { Migration } from '@mikro-orm/migrations';

/**
 * The support inbox (issue 15): teams and their members, agents' availability and load,
 * conversation states with one event row per transition, internal notes, routing rules and
 * canned responses.
 *
 * `conversations.state` is the truth (bot, queued, assigned, snoozed, resolved); the older
 * `status` (open, pending, resolved) and `bot_paused` are kept readable and follow it, which a
 * check constraint holds: every transition writes the three together (platform/inbox). The bot
 * state may still be paused by the channel's owner writing from their phone.
 */
export class Migration20261207040000_support_inbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table teams (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      name text not null check (length(name) between 1 and 100),
      strategy text not null default 'round_robin' check (strategy in ('round_robin', 'least_busy', 'manual')),
      sticky boolean not null default false,
      default_capacity int not null default 5 check (default_capacity between 1 and 1000),
      is_default boolean not null default false,
      handoff_timeout_seconds int check (handoff_timeout_seconds > 0),
      handoff_timeout_message text,
      auto_resolve_hours int check (auto_resolve_hours > 0),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (workspace_id, name),
      unique (workspace_id, id)
    )`);
    // One default team per workspace: hand-offs that name none and match no routing rule go there.
    this.addSql(`create unique index teams_one_default on teams (workspace_id) where is_default`);

    // Members of a team are members of its workspace (the composite key says so); removing the
    // member from the workspace removes them from its teams.
    this.addSql(`create table team_members (
      team_id uuid not null,
      workspace_id uuid not null,
      user_id uuid not null,
      capacity int check (capacity between 1 and 1000),
      last_turn bigint not null default 0,
      created_at timestamptz not null default now(),
      primary key (team_id, user_id),
      foreign key (workspace_id, team_id) references teams (workspace_id, id) on delete cascade,
      foreign key (workspace_id, user_id) references memberships (workspace_id, user_id) on delete cascade
    )`);
    this.addSql(`create index team_members_user on team_members (workspace_id, user_id)`);
    this.addSql(`create sequence inbox_turns`);

    // One row per agent and workspace: availability, presence and load. The row is the lock that
    // serialises every change of the agent's load (assignment, resolve, transfer, snooze).
    this.addSql(`create table agent_status (
      workspace_id uuid not null,
      user_id uuid not null,
      availability text not null default 'offline' check (availability in ('online', 'away', 'offline')),
      availability_changed_at timestamptz not null default now(),
      last_seen_at timestamptz,
      load int not null default 0 check (load >= 0),
      primary key (workspace_id, user_id),
      foreign key (workspace_id, user_id) references memberships (workspace_id, user_id) on delete cascade
    )`);

    this.addSql(`alter table conversations
      add column state text not null default 'bot' check (state in ('bot', 'queued', 'assigned', 'snoozed', 'resolved')),
      add column state_changed_at timestamptz not null default now(),
      add column queued_at timestamptz,
      add column snoozed_until timestamptz,
      add column handoff_note text`);
    // Before: a hand_off set status 'pending' (and bot_paused); the owner answering from the phone set bot_paused only.
    this.addSql(`update conversations set state = case
        when status = 'resolved' then 'resolved'
        when status = 'pending' and assignee_user_id is not null then 'assigned'
        when status = 'pending' then 'queued'
        else 'bot' end,
      queued_at = case when status = 'pending' then updated_at end`);
    this.addSql(`update conversations set bot_paused = true where state in ('queued', 'assigned')`);
    this.addSql(
      `update conversations set status = case state when 'resolved' then 'resolved' when 'queued' then 'pending' else 'open' end`,
    );
    // Team ids written before teams existed name nothing.
    this.addSql(`update conversations set team_id = null where team_id is not null`);
    this.addSql(
      `alter table conversations add constraint conversations_team foreign key (team_id) references teams(id) on delete set null`,
    );
    // A human state always pauses the bot; the bot state may be paused too, by the channel's owner
    // answering from their phone (connectors/whatsapp/owner-message.sql.ts), outside the inbox.
    this.addSql(`alter table conversations add constraint conversations_state_readable check (
      status = case state when 'resolved' then 'resolved' when 'queued' then 'pending' when 'snoozed' then 'pending' else 'open' end
      and (bot_paused or state not in ('queued', 'assigned', 'snoozed')))`);
    // The queue of a team, oldest first.
    this.addSql(`create index conversations_queue on conversations (team_id, queued_at, id) where state = 'queued'`);
    this.addSql(`create index conversations_assignee on conversations (assignee_user_id, state) where assignee_user_id is not null`);

    // Every state or owner change of a conversation: who, when, from, to, why. `seq` orders the
    // events of one conversation (each is written under the conversation's row lock) and of one
    // agent (under the agent's row lock) in the order they happened.
    this.addSql(`create table conversation_events (
      id uuid primary key,
      seq bigserial not null,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      conversation_id uuid not null references conversations(id) on delete cascade,
      contact_id uuid references contacts(id) on delete cascade,
      team_id uuid,
      actor_kind text not null check (actor_kind in ('user', 'api_key', 'flow', 'system')),
      actor_user_id uuid references users(id) on delete set null,
      from_state text not null,
      to_state text not null,
      from_assignee_user_id uuid,
      to_assignee_user_id uuid,
      reason text not null,
      detail jsonb not null default '{}',
      created_at timestamptz not null default clock_timestamp()
    )`);
    this.addSql(`create index conversation_events_conversation on conversation_events (conversation_id, seq)`);
    this.addSql(`create index conversation_events_contact on conversation_events (contact_id, seq)`);
    this.addSql(`create index conversation_events_workspace_created on conversation_events (workspace_id, created_at)`);

    // Internal notes: shown to the team, never sent to the contact.
    this.addSql(`create table conversation_notes (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      conversation_id uuid not null references conversations(id) on delete cascade,
      contact_id uuid references contacts(id) on delete cascade,
      author_user_id uuid references users(id) on delete set null,
      text text not null,
      created_at timestamptz not null default now()
    )`);
    this.addSql(`create index conversation_notes_conversation on conversation_notes (conversation_id, created_at)`);
    this.addSql(`create index conversation_notes_workspace_created on conversation_notes (workspace_id, created_at)`);

    this.addSql(`create table routing_rules (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      position int not null,
      name text not null,
      condition jsonb not null,
      team_id uuid not null,
      enabled boolean not null default true,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      foreign key (workspace_id, team_id) references teams (workspace_id, id) on delete cascade
    )`);
    this.addSql(`create index routing_rules_workspace on routing_rules (workspace_id, position)`);

    this.addSql(`create table canned_responses (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      shortcut text not null,
      title text not null,
      text text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (workspace_id, shortcut)
    )`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table canned_responses`);
    this.addSql(`drop table routing_rules`);
    this.addSql(`drop table conversation_notes`);
    this.addSql(`drop table conversation_events`);
    this.addSql(`drop index conversations_assignee`);
    this.addSql(`drop index conversations_queue`);
    this.addSql(`alter table conversations drop constraint conversations_state_readable`);
    this.addSql(`alter table conversations drop constraint conversations_team`);
    this.addSql(
      `alter table conversations drop column state, drop column state_changed_at, drop column queued_at, drop column snoozed_until, drop column handoff_note`,
    );
    this.addSql(`drop table agent_status`);
    this.addSql(`drop sequence inbox_turns`);
    this.addSql(`drop table team_members`);
    this.addSql(`drop table teams`);
  }
}
