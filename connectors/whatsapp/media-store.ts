import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';

/** Where downloaded and outbound media live. */
export interface MediaStore {
  /** Stores `data` and returns its storage key. */
  put(channelId: string, name: string, data: Buffer): Promise<string>;
  get(storageKey: string): Promise<Buffer>;
}

/** Media in a local folder (the default): `<root>/<channel>/<name>`. */
export class LocalMediaStore implements MediaStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(channelId: string, name: string, data: Buffer): Promise<string> {
    const storageKey = `${channelId}/${name.replace(/[^a-zA-Z0-9._-]/g, '_')}`;
    const path = this.pathOf(storageKey);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data);
    return storageKey;
  }

  get(storageKey: string): Promise<Buffer> {
    return readFile(this.pathOf(storageKey));
  }

  /** A key never leaves the root (a stored key is data, and data may be hostile). */
  private pathOf(storageKey: string): string {
    const path = resolve(join(this.root, storageKey));
    if (!path.startsWith(this.root + sep)) throw new Error(`media storage key ${storageKey} is outside the media store`);
    return path;
  }
}
