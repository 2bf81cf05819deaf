import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './entities/index.ts';
import { migrations } from '../../migrations/index.ts';

export type Orm = MikroORM;

/** MikroORM options for one database URL. Migrations are listed in code, never globbed. */
export function ormOptions(databaseUrl: string, opts: { poolMax?: number } = {}): Options {
  return {
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: false },
    migrations: {
      migrationsList: migrations,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    pool: { min: 0, max: opts.poolMax ?? 10 },
    // The identity map is per request or job: code always works on `orm.em.fork()`.
    allowGlobalContext: false,
    debug: false,
    forceUtcTimezone: true,
  };
}

/** Opens the ORM (and its connection pool) for `databaseUrl`. */
export async function openOrm(databaseUrl: string, opts: { poolMax?: number } = {}): Promise<Orm> {
  return MikroORM.init(ormOptions(databaseUrl, opts));
}
