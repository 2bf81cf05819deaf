import { Migration } from '@mikro-orm/migrations';

/**
 * The editor's test chat and trigger priority (issue 14).
 * - `contacts.is_test`: a contact the test chat created. Test contacts never count in segments,
 *   broadcast audiences, analytics or quotas.
 * - `flows.priority`: when several active flows' triggers match a message, the higher priority
 *   wins before the trigger's specificity is compared (default 0 keeps today's order).
 * - `flow_versions.test_revision`: a snapshot of a draft taken to test it before publishing
 *   (version 0, never active, never listed with the published versions); one per draft revision,
 *   so testing the same draft twice pins the same snapshot.
 */
export class Migration20261207010000_test_chat_and_priority extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table contacts add column is_test boolean not null default false`);
    this.addSql(`alter table flows add column priority integer not null default 0 check (priority between -1000 and 1000)`);
    this.addSql(`alter table flow_versions add column test_revision integer`);
    this.addSql(`alter table flow_versions drop constraint flow_versions_flow_id_version_key`);
    this.addSql(`create unique index flow_versions_published_version on flow_versions (flow_id, version) where test_revision is null`);
    this.addSql(
      `create unique index flow_versions_test_revision on flow_versions (flow_id, test_revision) where test_revision is not null`,
    );
    this.addSql(`alter table flow_versions add constraint flow_versions_test_is_version_0 check ((test_revision is null) = (version > 0))`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from runs where flow_version_id in (select id from flow_versions where test_revision is not null)`);
    this.addSql(`delete from flow_versions where test_revision is not null`);
    this.addSql(`alter table flow_versions drop constraint flow_versions_test_is_version_0`);
    this.addSql(`drop index flow_versions_test_revision`);
    this.addSql(`drop index flow_versions_published_version`);
    this.addSql(`alter table flow_versions add constraint flow_versions_flow_id_version_key unique (flow_id, version)`);
    this.addSql(`alter table flow_versions drop column test_revision`);
    this.addSql(`alter table flows drop column priority`);
    this.addSql(`alter table contacts drop column is_test`);
  }
}
