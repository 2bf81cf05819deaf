import { Migration } from '@mikro-orm/migrations';

/**
 * Receipts and claims as HOT updates (heap-only tuples: the new row version goes in the same page
 * and no index gets an entry). An outbound message is written four times after its insert
 * (claim, sent, delivered, read); the claim changes only `metadata`, the receipts only `status`
 * and `status_times`. PostgreSQL makes an update HOT only when no column that an index uses
 * (predicates included) changes and the page has room. `status` was in the predicates of the
 * two outbox indexes, so every receipt wrote an entry in each of the table's indexes and left
 * them to be cleaned; those indexes now use `queued`, a column PostgreSQL computes from `status`
 * that stays false through sent, delivered and read. The fillfactor keeps a fifth of each new
 * page free for the versions that follow.
 *
 * Adding a stored generated column rewrites the table once, under an exclusive lock: on a large
 * installation, run the upgrade in a quiet hour.
 */
export class Migration20261211010000_messages_receipts_hot extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table messages add column queued boolean generated always as (status = 'queued') stored`);
    this.addSql(`drop index messages_queued`);
    this.addSql(`drop index messages_outbox_conversation`);
    this.addSql(`create index messages_queued on messages (created_at) where queued`);
    this.addSql(`create index messages_outbox_conversation on messages (conversation_id, id) where queued and direction = 'outbound'`);
    this.addSql(`alter table messages set (fillfactor = 80)`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table messages reset (fillfactor)`);
    this.addSql(`drop index messages_outbox_conversation`);
    this.addSql(`drop index messages_queued`);
    this.addSql(`alter table messages drop column queued`);
    this.addSql(`create index messages_queued on messages (created_at) where status = 'queued'`);
    this.addSql(
      `create index messages_outbox_conversation on messages (conversation_id, id) where status = 'queued' and direction = 'outbound'`,
    );
  }
}
