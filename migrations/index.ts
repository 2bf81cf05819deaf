import { Migration20261125000000_foundation } from './Migration20261125000000_foundation.ts';

/** Every migration, in order. Listed explicitly so that no file-system glob decides what runs. */
export const migrations = [{ name: 'Migration20261125000000_foundation', class: Migration20261125000000_foundation }];
