import { Migration } from '@mikro-orm/migrations';

/**
 * Test-chat contacts of a workspace, found without reading its contacts: analytics (the
 * dashboard's messages per day, active conversations and response times) leave their messages
 * out by id, a handful per workspace, instead of probing the contact of every message counted.
 */
export class Migration20261209020000_test_contacts_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index if not exists contacts_test on contacts (workspace_id) where is_test`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists contacts_test`);
  }
}
