import type { Orm } from './orm.ts';

export interface MigrationStatus {
  executed: string[];
  pending: string[];
}

/** Applies every pending migration; returns the names applied. */
export async function migrateUp(orm: Orm): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}

/** Reverts the last `steps` migrations (or all of them with `to: 0`); returns the names reverted. */
export async function migrateDown(orm: Orm, opts: { steps?: number; all?: boolean } = {}): Promise<string[]> {
  const migrator = orm.getMigrator();
  if (opts.all) return (await migrator.down({ to: 0 })).map((m) => m.name);
  const reverted: string[] = [];
  for (let i = 0; i < (opts.steps ?? 1); i++) {
    const step = await migrator.down();
    if (step.length === 0) break;
    reverted.push(...step.map((m) => m.name));
  }
  return reverted;
}

export async function migrationStatus(orm: Orm): Promise<MigrationStatus> {
  const migrator = orm.getMigrator();
  // One after the other: on a fresh database each call creates the migrations table, and two at once collide.
  const executed = await migrator.getExecutedMigrations();
  const pending = await migrator.getPendingMigrations();
  return { executed: executed.map((m) => m.name), pending: pending.map((m) => m.name) };
}
