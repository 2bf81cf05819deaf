import { Migration } from '@mikro-orm/migrations';

/**
 * Saved templates sent by reference from broadcasts and canned responses, and test-chat
 * snapshots that follow template edits.
 *
 * - `broadcasts.template_version_id`: the version of the broadcast's template current when it
 *   started (its start job records it with the recipient snapshot); every batch renders that
 *   version, so an edit made while it runs does not change it half-way.
 * - `canned_responses.template_id`: a quick reply that inserts a template (the contact's language
 *   variant, filled in) instead of its own text; exactly one of `text` and `template_id` is set.
 * - A test snapshot of a draft is one per (draft revision, pinned template versions): testing
 *   the same draft after a template edit takes a new snapshot with the new version.
 */
export class Migration20261210020000_templates_in_broadcasts_and_replies extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table broadcasts add column template_version_id uuid references message_template_versions(id)`);
    this.addSql(`alter table canned_responses add column template_id uuid references message_templates(id)`);
    this.addSql(`alter table canned_responses alter column text drop not null`);
    this.addSql(
      `alter table canned_responses add constraint canned_responses_text_or_template check ((text is null) <> (template_id is null))`,
    );
    this.addSql(`drop index flow_versions_test_revision`);
    this.addSql(
      `create unique index flow_versions_test_revision on flow_versions (flow_id, test_revision, template_versions) where test_revision is not null`,
    );
  }

  override async down(): Promise<void> {
    // Older snapshots of one revision (before a template edit) would collide under the narrower key.
    this.addSql(
      `delete from runs where flow_version_id in (select id from flow_versions v where test_revision is not null and exists (select 1 from flow_versions n where n.flow_id = v.flow_id and n.test_revision = v.test_revision and n.id > v.id))`,
    );
    this.addSql(
      `delete from flow_versions v where test_revision is not null and exists (select 1 from flow_versions n where n.flow_id = v.flow_id and n.test_revision = v.test_revision and n.id > v.id)`,
    );
    this.addSql(`drop index flow_versions_test_revision`);
    this.addSql(
      `create unique index flow_versions_test_revision on flow_versions (flow_id, test_revision) where test_revision is not null`,
    );
    this.addSql(`delete from canned_responses where text is null`);
    this.addSql(`alter table canned_responses drop constraint canned_responses_text_or_template`);
    this.addSql(`alter table canned_responses alter column text set not null`);
    this.addSql(`alter table canned_responses drop column template_id`);
    this.addSql(`alter table broadcasts drop column template_version_id`);
  }
}
