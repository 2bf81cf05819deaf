import { Migration } from '@mikro-orm/migrations';

/**
 * The demo seed stored its sample inbound messages as unhandled, so the engine reconciler handed
 * them to the flows later, and the first catch-all flow published answered chats "received" an
 * hour before (issue 21). Seeded history is handled: the seed now writes `handled_at`, and this
 * marks the samples of demo workspaces seeded before (their provider ids start with `demo-`).
 */
export class Migration20261207050000_demo_history_handled extends Migration {
  override async up(): Promise<void> {
    this.addSql(`update messages m set handled_at = m.created_at
                  where m.direction = 'inbound' and m.handled_at is null and m.provider_message_id like 'demo-%'
                    and m.workspace_id in (select id from workspaces where is_demo)`);
  }

  override async down(): Promise<void> {
    // Nothing to undo: a handled sample is what the seed writes now.
  }
}
