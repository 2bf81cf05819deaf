import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Config } from '../config.ts';
import { InvariantError } from '../../engine/errors/invariant.error.ts';

/**
 * Where uploaded CSV files wait for their import job: `<data dir>/imports/<workspace>/<import>.csv`,
 * beside the contact exports (one data folder the api and worker roles share, as for exports).
 * A file is removed when its import completes or fails; a checked dry run keeps it until started.
 */
export interface ImportFiles {
  dir: string;
}

export function importFilesOf(config: Pick<Config, 'dataDir'>): ImportFiles {
  return { dir: resolve(config.dataDir, 'imports') };
}

export function importFileKey(workspaceId: string, importId: string): string {
  return `${workspaceId}/${importId}.csv`;
}

/** The path of an import's file; never outside the imports folder. */
export function importFilePath(files: ImportFiles, key: string): string {
  const path = resolve(join(files.dir, key));
  if (!path.startsWith(files.dir + sep)) throw new InvariantError('the import key is outside the imports folder', { key });
  return path;
}

export async function ensureImportDir(files: ImportFiles, key: string): Promise<string> {
  const path = importFilePath(files, key);
  await mkdir(dirname(path), { recursive: true });
  return path;
}
