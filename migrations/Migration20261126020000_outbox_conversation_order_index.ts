import { Migration } from '@mikro-orm/migrations';

/**
 * The send worker claims a message only when no earlier outbound message of its conversation is
 * still queued, and a sent message looks up the next queued one. Without this index the check
 * combined the conversation's whole history with every queued message of the installation
 * (found with EXPLAIN on the engine benchmark); with it, each is one probe.
 */
export class Migration20261126020000_outbox_conversation_order_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create index messages_outbox_conversation on messages (conversation_id, id) where status = 'queued' and direction = 'outbound'`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index messages_outbox_conversation`);
  }
}
