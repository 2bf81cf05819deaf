import { Migration } from '@mikro-orm/migrations';

/**
 * Billing (issue 17). What is kept of a payment method is its brand, last 4 digits and expiry:
 * the card itself stays with Stripe (no column could hold a card number: `card_last4` is checked
 * to be 4 digits). Stripe events are recorded once by their id (the primary key), with the
 * reduced event only until it is processed.
 *
 * `billing_usage` is one row per workspace for its current billing period, created with the
 * workspace (trigger) so that the outbox statements that count messages only ever update it: the
 * update takes the row's lock, which is what makes the quota exact under concurrent senders.
 */
export class Migration20261207020000_billing extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table billing_accounts (
      workspace_id uuid primary key references workspaces(id) on delete cascade,
      stripe_customer_id text unique check (stripe_customer_id ~ '^cus_\\w+$'),
      stripe_subscription_id text check (stripe_subscription_id ~ '^sub_\\w+$'),
      subscription_status text,
      price_id text,
      current_period_start timestamptz,
      current_period_end timestamptz,
      cancel_at_period_end boolean not null default false,
      card_brand text,
      card_last4 text check (card_last4 ~ '^[0-9]{4}$'),
      card_exp_month smallint check (card_exp_month between 1 and 12),
      card_exp_year smallint,
      billing_address jsonb,
      -- Stripe's time of the newest event applied to each part: an older event arriving later changes nothing.
      subscription_event_at timestamptz,
      card_event_at timestamptz,
      address_event_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`);

    this.addSql(`create table billing_events (
      id text primary key,
      type text not null,
      customer_id text,
      created timestamptz not null,
      -- The event reduced to what billing uses (never Stripe's raw payload), cleared once processed.
      payload jsonb,
      received_at timestamptz not null default now(),
      processed_at timestamptz,
      outcome text,
      attempts integer not null default 0,
      last_error text
    )`);
    // The reconciler's look for events whose job was lost.
    this.addSql(`create index billing_events_unprocessed on billing_events (received_at) where processed_at is null`);

    this.addSql(`create table billing_invoices (
      id text primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      number text,
      status text not null,
      amount_due bigint not null,
      amount_paid bigint not null,
      currency text not null,
      hosted_invoice_url text,
      created_at timestamptz not null,
      event_at timestamptz not null
    )`);
    this.addSql(`create index billing_invoices_workspace on billing_invoices (workspace_id, created_at desc)`);

    this.addSql(`create table billing_usage (
      workspace_id uuid primary key references workspaces(id) on delete cascade,
      period_start timestamptz not null,
      period_end timestamptz not null,
      automated_messages integer not null default 0,
      agent_messages integer not null default 0,
      broadcast_recipients integer not null default 0,
      -- How many automated messages the last counting statement let through (see usage-meter.sql.ts).
      last_grant integer not null default 0,
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create function billing_usage_for_new_workspace() returns trigger language plpgsql as $$
      begin
        insert into billing_usage (workspace_id, period_start, period_end)
        values (new.id, date_trunc('month', now() at time zone 'UTC') at time zone 'UTC', (date_trunc('month', now() at time zone 'UTC') + interval '1 month') at time zone 'UTC')
        on conflict (workspace_id) do nothing;
        return new;
      end $$`);
    this.addSql(
      `create trigger workspaces_billing_usage after insert on workspaces for each row execute function billing_usage_for_new_workspace()`,
    );
    this.addSql(`insert into billing_usage (workspace_id, period_start, period_end)
      select id, date_trunc('month', now() at time zone 'UTC') at time zone 'UTC', (date_trunc('month', now() at time zone 'UTC') + interval '1 month') at time zone 'UTC' from workspaces`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger workspaces_billing_usage on workspaces`);
    this.addSql(`drop function billing_usage_for_new_workspace()`);
    for (const table of ['billing_usage', 'billing_invoices', 'billing_events', 'billing_accounts']) this.addSql(`drop table ${table}`);
  }
}
