import { Migration } from '@mikro-orm/migrations';

/**
 * The Contacts page and CSV imports (issue 20).
 * - Search: one trigram index over a contact's searchable text (name, phone, tags and attribute
 *   values, lower-cased), so that "contains" searches stay an index scan at 1M contacts.
 *   pg_trgm ships with Postgres (contrib) and is a trusted extension: the database owner may
 *   create it.
 * - Sorts the page offers, each with its keyset index: by name (named contacts first, A to Z) and
 *   by the last message from the contact (never-seen last). Newest/oldest use
 *   contacts_workspace_created.
 * - `contact_imports`: one uploaded CSV, its options and progress; `contact_import_problems`: the
 *   rows that could not be imported, with their original values, for the error report.
 */
export class Migration20261208040000_contacts_page_and_imports extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create extension if not exists pg_trgm`);
    // Immutable: it reads only its arguments (an index expression must be).
    this.addSql(`create or replace function contact_search_text(name text, phone text, tags text[], attributes jsonb) returns text
      language sql immutable parallel safe as $$
        select lower(concat_ws(' ', name, phone, array_to_string(tags, ' '),
          (select string_agg(value, ' ') from jsonb_each_text(case when jsonb_typeof(attributes) = 'object' then attributes else '{}' end))))
      $$`);
    // A 16 MB pending list (default 4 MB): an import's new rows join the index in larger, cheaper
    // merges; a search reads the pending list too, a few ms more at worst.
    this.addSql(
      `create index contacts_search on contacts using gin (contact_search_text(name, phone, tags, attributes) gin_trgm_ops) with (gin_pending_list_limit = 16384)`,
    );
    this.addSql(`create index contacts_workspace_name on contacts (workspace_id, (coalesce('0' || lower(name), '1')), id)`);
    this.addSql(`create index contacts_workspace_last_seen on contacts (workspace_id, (coalesce(last_seen_at, '-infinity')), id)`);

    this.addSql(`create table contact_imports (
      id uuid primary key,
      workspace_id uuid not null references workspaces(id) on delete cascade,
      requested_by uuid references users(id) on delete set null,
      file_name text not null,
      file_key text,
      options jsonb not null,
      dry_run boolean not null,
      status text not null check (status in ('queued', 'running', 'checked', 'completed', 'failed')),
      rows_total integer not null default 0,
      rows_done integer not null default 0,
      created integer not null default 0,
      updated integer not null default 0,
      skipped integer not null default 0,
      failed integer not null default 0,
      error text,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz
    )`);
    this.addSql(`create index contact_imports_workspace on contact_imports (workspace_id, created_at desc, id desc)`);
    this.addSql(`create table contact_import_problems (
      import_id uuid not null references contact_imports(id) on delete cascade,
      row_number integer not null,
      problem text not null,
      "values" text[] not null,
      primary key (import_id, row_number)
    )`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table contact_import_problems`);
    this.addSql(`drop table contact_imports`);
    this.addSql(`drop index contacts_workspace_last_seen`);
    this.addSql(`drop index contacts_workspace_name`);
    this.addSql(`drop index contacts_search`);
    this.addSql(`drop function contact_search_text(text, text, text[], jsonb)`);
    // pg_trgm stays: another feature may have come to rely on it.
  }
}
