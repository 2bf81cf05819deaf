import { rm } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Config } from '../../platform/config.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { LocalMediaStore, type MediaStore } from '../whatsapp/media-store.ts';
import { InvariantError } from '../../engine/errors/invariant.error.ts';

/** Files removed per pass of `removePendingFiles`. */
const FILE_DELETIONS_PER_PASS = 500;
/** Files being removed at once (the file system's calls run on libuv's pool of 4 threads). */
const FILES_IN_FLIGHT = 16;

const PendingFileRow = z.object({ kind: z.enum(['media', 'export']), key: z.string() });
type PendingFile = z.infer<typeof PendingFileRow>;

/** Where this installation keeps media (the WhatsApp media store) and contact exports. */
export interface PrivacyFiles {
  media: MediaStore;
  exportsDir: string;
}

export function privacyFilesOf(config: Config): PrivacyFiles {
  return {
    media: new LocalMediaStore(config.whatsapp?.mediaDir ?? `${config.dataDir}/media`),
    exportsDir: resolve(config.dataDir, 'exports'),
  };
}

/** The path of an export archive; its key is `<workspace id>/<export id>.zip`, never outside the folder. */
export function exportPath(files: PrivacyFiles, key: string): string {
  if (!isInside(files.exportsDir, key)) throw new InvariantError('the export key is outside the exports folder', { key });
  return resolve(join(files.exportsDir, key));
}

function isInside(root: string, key: string): boolean {
  return resolve(join(root, key)).startsWith(root + sep);
}

/**
 * Removes files whose rows are gone (written to `pending_file_deletions` in the transaction that
 * deleted the rows): after a crash between that commit and the unlink, the next pass finishes
 * it. Returns the number of files handled.
 */
export async function removePendingFiles(em: EntityManager, files: PrivacyFiles): Promise<number> {
  let handled = 0;
  for (;;) {
    const rows = (
      await runSql(
        em,
        `select kind, key from pending_file_deletions order by created_at limit ${FILE_DELETIONS_PER_PASS}`,
        {},
        { row: PendingFileRow },
      )
    ).rows;
    if (rows.length === 0) return handled;
    // A few at a time: one after the other, each file waits for its own turn of the event loop,
    // which the sweep shares with live traffic (the worker role).
    for (let i = 0; i < rows.length; i += FILES_IN_FLIGHT)
      await Promise.all(rows.slice(i, i + FILES_IN_FLIGHT).map((row) => removeFile(files, row)));
    await runSql(
      em,
      `delete from pending_file_deletions p using unnest(cast(:kinds as text[]), cast(:keys as text[])) as d(kind, key) where p.kind = d.kind and p.key = d.key`,
      {
        kinds: rows.map((r) => r.kind),
        keys: rows.map((r) => r.key),
      },
    );
    handled += rows.length;
  }
}

async function removeFile(files: PrivacyFiles, row: PendingFile): Promise<void> {
  if (row.kind === 'media') await files.media.remove(row.key);
  else if (isInside(files.exportsDir, row.key)) await rm(exportPath(files, row.key), { force: true });
}
