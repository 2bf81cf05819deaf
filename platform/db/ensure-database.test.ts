import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config-error.ts';
import { ensureDatabase } from './ensure-database.ts';

describe('when DATABASE_URL names no database', () => {
  it('refuses it as a configuration error, its password hidden, before connecting', async () => {
    const refused = ensureDatabase('postgres://app:s3cret@127.0.0.1:1/');
    await expect(refused).rejects.toThrow(ConfigError);
    await expect(refused).rejects.toThrow('DATABASE_URL names no database: postgres://app:***@127.0.0.1:1/');
  });
});
