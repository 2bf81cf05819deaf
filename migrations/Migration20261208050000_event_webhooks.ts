import { Migration } from '@mikro-orm/migrations';

/**
 * Event webhooks (issue 20): endpoints a workspace registers to hear of events, the events
 * recorded for them (an outbox: written in the transaction of the change, only when an endpoint
 * of the workspace subscribes to the type), one delivery per (event, endpoint) and each attempt.
 *
 * - `webhook_endpoints.sealed_secret`: the signing secret, sealed (AES-256-GCM) under the
 *   installation key and bound to the workspace and endpoint; `previous_sealed_secret` signs
 *   too until `previous_secret_expires_at` after a rotation, so receivers can switch over.
 * - `failing_since`: the first failed attempt since the last success; an endpoint failing for a
 *   day is disabled (`disabled_reason = 'failing'`).
 * - `webhook_events.contact_id` / `conversation_id`: no foreign key (the insert stays cheap and
 *   locks nothing), but the columns' names make a contact's erasure delete the events that name
 *   it, and their deliveries with them (cascade).
 */
export class Migration20261208050000_event_webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table webhook_endpoints (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      url text not null,
      description text not null default '',
      event_types text[] not null,
      sealed_secret bytea not null,
      previous_sealed_secret bytea,
      previous_secret_expires_at timestamptz,
      enabled boolean not null default true,
      disabled_reason text,
      disabled_at timestamptz,
      failing_since timestamptz,
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create index webhook_endpoints_workspace on webhook_endpoints (workspace_id)`);
    this.addSql(`create table webhook_events (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      type text not null,
      payload jsonb not null,
      contact_id uuid,
      conversation_id uuid,
      created_at timestamptz not null
    )`);
    this.addSql(`create index webhook_events_created on webhook_events (created_at)`);
    this.addSql(`create index webhook_events_contact on webhook_events (contact_id) where contact_id is not null`);
    this.addSql(`create index webhook_events_conversation on webhook_events (conversation_id) where conversation_id is not null`);
    this.addSql(`create table webhook_deliveries (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      event_id uuid not null references webhook_events(id) on delete cascade,
      endpoint_id uuid not null references webhook_endpoints(id) on delete cascade,
      status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
      attempts integer not null default 0,
      next_attempt_at timestamptz,
      last_attempt_at timestamptz,
      last_status_code integer,
      failure_reason text,
      created_at timestamptz not null,
      finished_at timestamptz,
      unique (event_id, endpoint_id)
    )`);
    this.addSql(`create index webhook_deliveries_endpoint on webhook_deliveries (endpoint_id, created_at desc)`);
    this.addSql(`create index webhook_deliveries_pending on webhook_deliveries (next_attempt_at) where status = 'pending'`);
    this.addSql(`create index webhook_deliveries_event on webhook_deliveries (event_id)`);
    this.addSql(`create table webhook_attempts (
      id uuid primary key,
      delivery_id uuid not null references webhook_deliveries(id) on delete cascade,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      attempted_at timestamptz not null,
      manual boolean not null default false,
      status_code integer,
      duration_ms integer not null,
      error text,
      response_excerpt text
    )`);
    this.addSql(`create index webhook_attempts_delivery on webhook_attempts (delivery_id, attempted_at)`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table webhook_attempts`);
    this.addSql(`drop table webhook_deliveries`);
    this.addSql(`drop table webhook_events`);
    this.addSql(`drop table webhook_endpoints`);
  }
}
