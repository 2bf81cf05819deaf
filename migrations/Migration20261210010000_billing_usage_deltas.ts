import { Migration } from '@mikro-orm/migrations';

/**
 * Outbound messages counted without the usage row's lock while billing is off (no plan limits):
 * every statement that records messages appends one row per workspace here instead of updating
 * the workspace's single `billing_usage` row, which made all sending transactions of a
 * workspace wait for each other until COMMIT. A periodic pass folds the rows into
 * `billing_usage`; the usage read adds the rows not folded yet (platform/billing/usage-deltas.ts).
 */
export class Migration20261210010000_billing_usage_deltas extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table billing_usage_deltas (
      id bigint generated always as identity primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      counted_at timestamptz not null,
      automated_messages integer not null,
      agent_messages integer not null,
      broadcast_recipients integer not null
    )`);
    this.addSql(`create index billing_usage_deltas_workspace on billing_usage_deltas (workspace_id, counted_at)`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table billing_usage_deltas`);
  }
}
