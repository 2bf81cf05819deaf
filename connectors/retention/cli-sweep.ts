import { systemClock } from '../../engine/clock.ts';
import { NotFoundError } from '../../engine/errors/app-error.ts';
import type { Config } from '../../platform/config.ts';
import type { Orm } from '../../platform/db/orm.ts';
import { newId } from '../../platform/ids.ts';
import { createLogger } from '../../platform/logger.ts';
import { privacyFilesOf } from './privacy-files.ts';
import { loadSettings } from './retention-settings.sql.ts';
import { findActiveSweep, findSweep, insertSweep, SWEEP_ORDER, type SweepRow } from './retention-sweep.store.ts';
import { RetentionSweepRunner } from './retention-sweep.ts';

/**
 * `onemessage retention sweep`: runs a sweep in this process (no worker needed). When the
 * workspace has an unfinished sweep (a runner killed mid-way), that one is resumed, waiting for
 * its lease to expire; a dry run is refused meanwhile. Prints one line per kind at the end.
 */
export async function runCliSweep(p: {
  orm: Orm;
  config: Config;
  workspaceId: string;
  dryRun: boolean;
  batchRows?: number;
  pollMs: number;
  print: (line: string) => void;
}): Promise<'completed' | 'failed'> {
  const em = p.orm.em.fork();
  const settings = await loadSettings(em, p.workspaceId);
  if (!settings) throw new NotFoundError('workspace', p.workspaceId);
  let sweep: SweepRow | null = await findActiveSweep(em, p.workspaceId);
  if (sweep && p.dryRun)
    throw new Error(`workspace ${p.workspaceId} has an unfinished sweep (${sweep.id}): run without --dry-run to finish it first`);
  if (sweep) p.print(`resuming sweep ${sweep.id} (started ${sweep.createdAt.toISOString()})`);
  else {
    sweep = await insertSweep(em, {
      id: newId(),
      workspaceId: p.workspaceId,
      dryRun: p.dryRun,
      trigger: 'cli',
      requestedBy: null,
      policy: settings.policy,
      now: systemClock.now(),
    });
    if (!sweep) throw new Error('another sweep of this workspace started at the same moment: run the command again to join it');
    p.print(`sweep ${sweep.id}${p.dryRun ? ' (dry run)' : ''}`);
  }
  const runner = new RetentionSweepRunner({
    orm: p.orm,
    clock: systemClock,
    logger: createLogger(p.config.logLevel).child({ component: 'retention' }),
    files: privacyFilesOf(p.config),
    secretKey: p.config.secretKey,
    options: p.batchRows ? { batchRows: p.batchRows } : {},
  });
  for (;;) {
    if ((await runner.run(sweep.id, { final: true })) === 'completed') break;
    const now = await findSweep(p.orm.em.fork(), p.workspaceId, sweep.id);
    if (!now || now.status === 'completed' || now.status === 'failed') break;
    p.print(`waiting for the previous runner's lease (until ${now.leaseUntil ? now.leaseUntil.toISOString() : 'now'})`);
    await new Promise((resolve) => setTimeout(resolve, p.pollMs));
  }
  const done = (await findSweep(p.orm.em.fork(), p.workspaceId, sweep.id))!;
  for (const kind of SWEEP_ORDER) {
    const k = done.progress[kind]!;
    p.print(
      `${kind}: ${k.status}${k.status === 'kept' ? '' : done.dryRun ? `, would delete ${k.total} rows (${k.totalBytes} bytes)` : `, deleted ${k.deleted} rows (${k.bytes} bytes, ${k.files} files)`}`,
    );
  }
  p.print(`sweep ${done.id} ${done.status}${done.error ? `: ${done.error}` : ''}`);
  return done.status === 'completed' ? 'completed' : 'failed';
}
