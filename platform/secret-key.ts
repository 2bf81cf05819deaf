import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config-error.ts';

const KEY_BYTES = 32;
const DEV_KEY_FILE = 'secret.key';

/** Accepts the key as 64 hex characters or as base64 of 32 bytes. */
export function parseSecretKey(value: string): Buffer {
  const trimmed = value.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new ConfigError(`ONEMESSAGE_SECRET_KEY must be 32 bytes, as 64 hex characters or base64 (got ${key.length} bytes)`);
  }
  return key;
}

/**
 * The key for encryption at rest. Required in production; in development it is generated once
 * into a git-ignored file so that restarts can still decrypt what they stored.
 */
export function loadSecretKey(opts: {
  value: string | undefined;
  production: boolean;
  dataDir: string;
  warn: (msg: string) => void;
}): Buffer {
  if (opts.value) return parseSecretKey(opts.value);
  if (opts.production) {
    throw new ConfigError(
      'ONEMESSAGE_SECRET_KEY is required in production (32 bytes as hex or base64; generate one with `openssl rand -hex 32`)',
    );
  }
  const file = join(opts.dataDir, DEV_KEY_FILE);
  if (existsSync(file)) return parseSecretKey(readFileSync(file, 'utf8'));
  mkdirSync(opts.dataDir, { recursive: true });
  const key = randomBytes(KEY_BYTES);
  writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  opts.warn(`ONEMESSAGE_SECRET_KEY is not set: generated a development key in ${file}. Set ONEMESSAGE_SECRET_KEY in production.`);
  return key;
}
