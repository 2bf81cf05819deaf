import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.ts';
import { loadConfig } from './config.ts';

const KEY_HEX = 'ab'.repeat(32);

describe('when the environment is empty', () => {
  it('uses defaults that work with local Postgres and Redis', () => {
    const dir = mkdtempSync(join(tmpdir(), 'om-config-'));
    const config = loadConfig({ ONEMESSAGE_DATA_DIR: dir });
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/onemessage');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.port).toBe(3000);
    expect(config.demo).toEqual({ email: 'demo@onemessage.local', password: 'onemessage-demo' });
  });

  it('generates a development key once, with a warning, and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'om-config-'));
    const warnings: string[] = [];
    const first = loadConfig({ ONEMESSAGE_DATA_DIR: dir }, (w) => warnings.push(w));
    const second = loadConfig({ ONEMESSAGE_DATA_DIR: dir }, (w) => warnings.push(w));
    expect(first.secretKey.equals(second.secretKey)).toBe(true);
    expect(first.secretKey).toHaveLength(32);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('ONEMESSAGE_SECRET_KEY is not set');
    expect(readFileSync(join(dir, 'secret.key'), 'utf8').trim()).toBe(first.secretKey.toString('hex'));
  });
});

describe('when running in production', () => {
  it('requires ONEMESSAGE_SECRET_KEY', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow('ONEMESSAGE_SECRET_KEY is required in production');
  });

  it('accepts a hex or base64 key of 32 bytes and refuses another length', () => {
    expect(loadConfig({ NODE_ENV: 'production', ONEMESSAGE_SECRET_KEY: KEY_HEX }).secretKey.toString('hex')).toBe(KEY_HEX);
    expect(
      loadConfig({ NODE_ENV: 'production', ONEMESSAGE_SECRET_KEY: Buffer.from(KEY_HEX, 'hex').toString('base64') }).secretKey.toString(
        'hex',
      ),
    ).toBe(KEY_HEX);
    expect(() => loadConfig({ NODE_ENV: 'production', ONEMESSAGE_SECRET_KEY: 'abcd' })).toThrow('must be 32 bytes');
  });
});

describe('when a variable is invalid', () => {
  it('names the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', ONEMESSAGE_SECRET_KEY: KEY_HEX })).toThrow('invalid environment variable PORT');
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x', ONEMESSAGE_SECRET_KEY: KEY_HEX })).toThrow(
      'invalid environment variable DATABASE_URL',
    );
  });

  it('names every invalid variable at once, on one line', () => {
    const err = (() => {
      try {
        loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', ONEMESSAGE_SECRET_KEY: KEY_HEX });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toMatch(/^invalid environment variable \w+: .+; invalid environment variable \w+: .+$/);
    expect(err?.message).toContain('PORT');
    expect(err?.message).toContain('DATABASE_URL');
    expect(err?.message).not.toContain('\n');
  });
});
