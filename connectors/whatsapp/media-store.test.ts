import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalMediaStore } from './media-store.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'om-media-store-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('when a stored file is removed', () => {
  it('is gone, and removing it again (a retried sweep or erasure) is no error', async () => {
    const store = new LocalMediaStore(join(dir, 'media'));
    const key = await store.put('channel-1', 'photo.jpg', Buffer.from('jpeg'));
    expect(await store.exists(key)).toBe(true);
    await store.remove(key);
    expect(await store.exists(key)).toBe(false);
    await expect(store.remove(key)).resolves.toBeUndefined();
  });

  it('never touches a file outside the store, whatever the key says', async () => {
    const store = new LocalMediaStore(join(dir, 'media'));
    await writeFile(join(dir, 'outside.txt'), 'keep me');
    await store.remove('../outside.txt');
    expect(await readFile(join(dir, 'outside.txt'), 'utf8')).toBe('keep me');
  });
});
