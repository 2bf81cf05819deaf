import { Migration } from '@mikro-orm/migrations';

/**
 * Indexes on columns whose foreign key cascades (or sets null) when a contact, a conversation or
 * a user is deleted: without one, each erasure, inactive-contact sweep or account deletion scans
 * the whole referencing table once per deleted row. `messages.author_user_id` is partial (only
 * agents' messages have one), so the inbound path's inserts do not maintain it.
 */
export class Migration20261208030000_retention_reference_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index if not exists contact_exports_contact on contact_exports (contact_id)`);
    this.addSql(`create index if not exists conversation_notes_contact on conversation_notes (contact_id)`);
    this.addSql(`create index if not exists legal_holds_contact on legal_holds (contact_id) where contact_id is not null`);
    this.addSql(`create index if not exists legal_holds_conversation on legal_holds (conversation_id) where conversation_id is not null`);
    this.addSql(`create index if not exists messages_author_user on messages (author_user_id) where author_user_id is not null`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists contact_exports_contact`);
    this.addSql(`drop index if exists conversation_notes_contact`);
    this.addSql(`drop index if exists legal_holds_contact`);
    this.addSql(`drop index if exists legal_holds_conversation`);
    this.addSql(`drop index if exists messages_author_user`);
  }
}
