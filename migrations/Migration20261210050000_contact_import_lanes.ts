import { Migration } from '@mikro-orm/migrations';

/**
 * An import writes its batches through two connections at once (issue 20, import bench): the
 * rows of a batch are split by phone into lanes, each lane written in its own transaction, so
 * that PostgreSQL uses both cores. `lanes_done[n]` is lane n's place in the file: every row of
 * that lane up to this data row is written, committed with the lane's share of the counters.
 * After a crash each lane resumes after its own place. Empty: no lane has committed yet (or the
 * import ran before lanes), and `rows_done` says where every lane resumes.
 */
export class Migration20261210050000_contact_import_lanes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table contact_imports add column lanes_done integer[] not null default '{}'`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table contact_imports drop column lanes_done`);
  }
}
