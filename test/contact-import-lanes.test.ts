import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../engine/clock.ts';
import { ImportOptionsSchema } from '../engine/contacts/contact-import.ts';
import { ContactImportRunner, IMPORT_BATCH_ROWS, IMPORT_LANES, laneOf } from '../platform/contacts/contact-import.runner.ts';
import { ensureImportDir, importFileKey, importFilesOf } from '../platform/contacts/contact-import-files.ts';
import { insertImport, loadImport } from '../platform/contacts/contact-import.store.ts';
import { newId } from '../platform/ids.ts';
import { createLogger } from '../platform/logger.ts';
import { testSql } from './support/test-sql.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

/*
 * An import writes each batch through IMPORT_LANES connections, its rows split by phone; each lane
 * commits its share with its counters and its place in the file. A run that fails with one lane's
 * batch written and the other's not is retried: each lane resumes after its own place, and the
 * totals come out as if nothing had failed.
 */

let env: TestEnv;
const sql = <R = Record<string, unknown>>(text: string, bindings: Record<string, unknown> = {}) =>
  testSql<R>(env.orm.em.fork(), text, bindings);

beforeAll(async () => {
  env = await createTestEnv();
});

afterAll(async () => {
  await env?.cleanup();
});

const ROWS = IMPORT_BATCH_ROWS * 2 + 2_000;
const phoneOf = (i: number) => `+1303${String(i).padStart(7, '0')}`;

describe('when a lane fails in the middle of an import and the job is retried', () => {
  it('resumes each lane after its own place and counts every row once', async () => {
    expect(IMPORT_LANES).toBeGreaterThan(1);
    const workspaceId = newId();
    await sql(`insert into workspaces (id, name) values (:workspaceId, 'Lanes')`, { workspaceId });
    // The phone of data row 1 comes back in the last batch with another name; row 20 is refused.
    const lines = ['Phone,Name'];
    for (let i = 1; i <= ROWS; i++)
      lines.push(i === ROWS ? `${phoneOf(1)},Renamed` : i === 20 ? 'n/a,Nobody' : `${phoneOf(i)},Person ${i}`);
    // A row of the second batch in the last lane cannot be written on the first run.
    const failing = Array.from({ length: IMPORT_BATCH_ROWS }, (_, k) => IMPORT_BATCH_ROWS + 1 + k).find(
      (i) => laneOf(phoneOf(i), IMPORT_LANES) === IMPORT_LANES - 1,
    )!;
    await sql(
      `create function fail_one_contact() returns trigger language plpgsql as $$ begin raise exception 'refused for the test'; end $$`,
    );
    await sql(
      `create trigger fail_one_contact before insert on contacts for each row when (new.phone = '${phoneOf(failing)}') execute function fail_one_contact()`,
    );

    const files = importFilesOf(env.config);
    const id = newId();
    const key = importFileKey(workspaceId, id);
    await writeFile(await ensureImportDir(files, key), lines.join('\n'));
    const options = { ...ImportOptionsSchema.parse({ onExisting: 'update' }), delimiter: ',' as const, header: ['Phone', 'Name'] };
    await insertImport(env.orm.em.fork(), {
      id,
      workspaceId,
      requestedBy: null,
      fileName: 'lanes.csv',
      fileKey: key,
      options,
      rowsTotal: ROWS,
      now: new Date(),
    });
    const runner = new ContactImportRunner({ orm: env.orm, files, clock: systemClock, logger: createLogger('silent') });

    await expect(runner.run(id)).rejects.toThrow('refused for the test');
    const stopped = (await loadImport(env.orm.em.fork(), id))!;
    // The other lanes wrote the second batch; the failing lane stopped after the first.
    expect(stopped.lanesDone[IMPORT_LANES - 1]).toBe(IMPORT_BATCH_ROWS);
    expect(stopped.lanesDone[0]).toBe(IMPORT_BATCH_ROWS * 2);
    expect(stopped.status).toBe('running');

    await sql(`drop trigger fail_one_contact on contacts`);
    expect(await runner.run(id)).toBe('done');
    const done = (await loadImport(env.orm.em.fork(), id))!;
    expect(done).toMatchObject({ status: 'completed', rowsDone: ROWS, created: ROWS - 2, updated: 1, skipped: 0, failed: 1 });
    const { rows } = await sql<{ n: string }>(`select count(*) as n from contacts where workspace_id = :workspaceId`, { workspaceId });
    expect(Number(rows[0]!.n)).toBe(ROWS - 2);
    const renamed = await sql<{ name: string }>(`select name from contacts where workspace_id = :workspaceId and phone = :phone`, {
      workspaceId,
      phone: phoneOf(1),
    });
    expect(renamed.rows[0]!.name).toBe('Renamed');
    const problems = await sql<{ row_number: number }>(`select row_number from contact_import_problems where import_id = :id`, { id });
    expect(problems.rows.map((p) => p.row_number)).toEqual([21]);
  });
});
