import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvariantError } from '../engine/errors/invariant.error.ts';
import { METERED_JSON, MeteredRowSchema } from '../platform/billing/usage-meter.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

// The counting statements (the outbox insert, a broadcast batch) answer their metered lines as
// METERED_JSON. They were cast and coerced with Number() and new Date(String()): a malformed line
// became NaN or an Invalid Date in the quota checks. The statements' row schemas now parse it.
let env: TestEnv;
const Row = z.object({ metered: MeteredRowSchema });
const WORKSPACE_ID = '00000000-0000-4000-8000-000000000001';

/** METERED_JSON over one `metered` line with these columns (the `metered` CTE's names and types). */
function meteredSql(granted: string, periodEnd: string): string {
  return `with metered as (
    select cast(:workspaceId as uuid) as workspace_id, ${granted} as granted, 120 as used, 30 as "recipientsUsed",
           5 as "recipientsGranted", ${periodEnd} as "periodEnd", 'pro' as plan, 1000 as "messageLimit", null::integer as "recipientLimit")
  select ${METERED_JSON} as metered from metered`;
}

beforeAll(async () => {
  env = await createTestEnv();
});

afterAll(async () => {
  await env?.cleanup();
});

describe('a counting statement’s metered line', () => {
  it('is parsed into numbers, a Date and nulls as PostgreSQL writes it in JSON', async () => {
    const { rows } = await runSql(
      env.orm.em.fork(),
      meteredSql('7', `cast('2026-04-01T00:00:00Z' as timestamptz)`),
      { workspaceId: WORKSPACE_ID },
      { row: Row },
    );
    expect(rows).toEqual([
      {
        metered: {
          workspaceId: WORKSPACE_ID,
          granted: 7,
          used: 120,
          recipientsUsed: 30,
          recipientsGranted: 5,
          periodEnd: new Date('2026-04-01T00:00:00Z'),
          plan: 'pro',
          messageLimit: 1000,
          recipientLimit: null,
        },
      },
    ]);
  });

  it('is an InvariantError naming the field when a count is not a number, not a NaN', async () => {
    const malformed = runSql(
      env.orm.em.fork(),
      meteredSql(`'seven'`, `cast('2026-04-01T00:00:00Z' as timestamptz)`),
      { workspaceId: WORKSPACE_ID },
      { row: Row },
    );
    await expect(malformed).rejects.toThrow(InvariantError);
    await expect(malformed).rejects.toThrow(/metered\.granted Invalid input: expected number, received string/);
  });

  it('is an InvariantError when the period end is not a time, not an Invalid Date', async () => {
    const malformed = runSql(env.orm.em.fork(), meteredSql('7', `'next month'`), { workspaceId: WORKSPACE_ID }, { row: Row });
    await expect(malformed).rejects.toThrow(InvariantError);
    await expect(malformed).rejects.toThrow(/metered\.periodEnd/);
  });
});
