import { Migration } from '@mikro-orm/migrations';

/**
 * Indexes for the engine's hot paths, found by the engine benchmark (pg_stat_user_indexes):
 * the send worker reads a contact's channel-side ids on every send, and with only
 * `contact_identities_contact` the planner combined it with the (channel, kind, value) index,
 * reading every identity of the channel each time. (contact_id, channel_id) answers it alone,
 * and its prefix serves every lookup by contact, so the old index goes.
 */
export class Migration20261126010000_engine_hot_path_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index contact_identities_contact_channel on contact_identities (contact_id, channel_id)`);
    this.addSql(`drop index contact_identities_contact`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index contact_identities_contact on contact_identities (contact_id)`);
    this.addSql(`drop index contact_identities_contact_channel`);
  }
}
