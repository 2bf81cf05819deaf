import { Migration } from '@mikro-orm/migrations';

/**
 * A workspace's business hours (Settings → Workspace): the weekly opening intervals that a
 * Business hours node without hours of its own and a Delay "until business hours open" read, in
 * the workspace's time zone. Null: the default, Monday to Friday 09:00–17:00.
 */
export class Migration20261208060000_workspace_business_hours extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table workspaces add column business_hours jsonb`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table workspaces drop column business_hours`);
  }
}
