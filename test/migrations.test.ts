import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDown, migrateUp, migrationStatus } from '../platform/db/migrate.ts';
import { migrations } from '../migrations/index.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
});

afterAll(async () => {
  await env?.cleanup();
});

async function tables(): Promise<string[]> {
  const rows: { table_name: string }[] = await env.orm.em
    .fork()
    .getConnection()
    .execute(
      `select table_name from information_schema.tables where table_schema = 'public' and table_name <> 'mikro_orm_migrations' order by 1`,
    );
  return rows.map((r) => r.table_name);
}

describe('when every migration is reverted and applied again', () => {
  it('runs each down() and leaves no table behind, then restores the schema', async () => {
    const before = await tables();
    expect(before).toEqual(
      expect.arrayContaining([
        'workspaces',
        'users',
        'memberships',
        'api_keys',
        'channels',
        'contacts',
        'contact_identities',
        'conversations',
        'messages',
        'usage_events',
        'audit_log',
      ]),
    );
    const reverted = await migrateDown(env.orm, { all: true });
    expect(reverted).toEqual(migrations.map((m) => m.name).reverse());
    expect(await tables()).toEqual([]);
    expect((await migrationStatus(env.orm)).executed).toEqual([]);
    await migrateUp(env.orm);
    expect(await tables()).toEqual(before);
    expect((await migrationStatus(env.orm)).pending).toEqual([]);
  });

  it('reverts one step at a time', async () => {
    const reverted = await migrateDown(env.orm, { steps: 1 });
    expect(reverted).toEqual([migrations[migrations.length - 1]!.name]);
    await migrateUp(env.orm);
  });
});
