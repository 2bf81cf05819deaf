import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { RUN_STATUSES, type AdvanceOutcome, type RunState, type RunWait, type StepRecord } from '../../engine/runs/run-types.ts';
import { runSql } from '../pipeline/run-sql.ts';

/** `runs.state` as the runtime writes it (RunState). */
const RunStateSchema = z.object({
  vars: z.record(z.string(), z.unknown()),
  attempts: z.record(z.string(), z.number()),
  messageId: z.string().nullable().optional(),
}) satisfies z.ZodType<RunState>;

/** `runs.wait` (RunWait). */
const RunWaitSchema = z.object({ kind: z.enum(['reply', 'timer']), dueAt: z.string().nullable() }) satisfies z.ZodType<RunWait>;

/** A run as the runtime reads it. */
const RunRowSchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  flowId: z.string(),
  flowVersionId: z.string(),
  contactId: z.string().nullable(),
  conversationId: z.string().nullable(),
  channelId: z.string().nullable(),
  status: z.enum(RUN_STATUSES),
  currentNodeId: z.string().nullable(),
  state: RunStateSchema,
  /** Null unless the run waits. */
  wait: RunWaitSchema.nullable(),
  stepCount: z.number(),
  trigger: z.record(z.string(), z.unknown()),
});
export type RunRow = z.infer<typeof RunRowSchema>;

const RUN_COLUMNS = `id, workspace_id as "workspaceId", flow_id as "flowId", flow_version_id as "flowVersionId",
  contact_id as "contactId", conversation_id as "conversationId", channel_id as "channelId", status,
  current_node_id as "currentNodeId", state, wait, step_count as "stepCount", trigger`;

const LOCK_RUN_AND_EARLIER_DUE_SQL = `select ${RUN_COLUMNS} from runs
      where id = :runId
         or (conversation_id = (select conversation_id from runs where id = :runId) and status = 'waiting'
             and due_at < (select due_at from runs where id = :runId))
      order by due_at nulls last, id for update`;
const LOCK_WAITING_RUNS_OF_CONTACT_SQL = `select ${RUN_COLUMNS} from runs where contact_id = :contactId and status = 'waiting' for update`;
const LOCK_RUN_SQL = `select ${RUN_COLUMNS} from runs where id = :runId for update`;

/**
 * The run a timer fired for, locked, and the other waiting runs of its conversation that were due
 * before it, oldest due first, locked too: their timers are late (lost with Redis's data, or held
 * by a worker that died) while this one fired. One statement for both.
 */
export async function lockRunAndEarlierDue(em: EntityManager, runId: string): Promise<{ run: RunRow | null; earlier: RunRow[] }> {
  const { rows } = await runSql(em, LOCK_RUN_AND_EARLIER_DUE_SQL, { runId }, { row: RunRowSchema });
  return { run: rows.find((r) => r.id === runId) ?? null, earlier: rows.filter((r) => r.id !== runId) };
}

/** Every waiting run of a contact (for an opt-out), locked. */
export async function lockWaitingRunsOfContact(em: EntityManager, contactId: string): Promise<RunRow[]> {
  const { rows } = await runSql(em, LOCK_WAITING_RUNS_OF_CONTACT_SQL, { contactId }, { row: RunRowSchema });
  return rows;
}

export async function lockRun(em: EntityManager, runId: string): Promise<RunRow | null> {
  const { rows } = await runSql(em, LOCK_RUN_SQL, { runId }, { row: RunRowSchema });
  return rows[0] ?? null;
}

/** Where a run stands once it has advanced: the columns its outcome sets. */
function outcomeColumns(outcome: AdvanceOutcome, state: RunState, stepCount: number, now: Date) {
  return {
    status: outcome.status,
    nodeId: outcome.nodeId,
    state: JSON.stringify(state),
    wait: outcome.status === 'waiting' ? JSON.stringify(outcome.wait) : null,
    dueAt: outcome.status === 'waiting' ? outcome.wait.dueAt : null,
    stepCount,
    stopReason: outcome.status === 'stopped' ? outcome.reason : null,
    error: outcome.status === 'failed' ? JSON.stringify(outcome.error) : null,
    now,
    endedAt: outcome.status === 'waiting' ? null : now,
  };
}

/** A new run as it stands after its first advance (or a run a limit refused, with a `stopped` outcome). */
export interface NewRun {
  run: Pick<RunRow, 'id' | 'workspaceId' | 'flowId' | 'flowVersionId' | 'contactId' | 'conversationId' | 'channelId' | 'trigger'> & {
    startedAt: Date;
  };
  outcome: AdvanceOutcome;
  state: RunState;
  stepCount: number;
  now: Date;
}

const INSERT_RUNS_SQL = `
insert into runs (id, workspace_id, flow_id, flow_version_id, contact_id, conversation_id, channel_id, status, current_node_id, state, wait, due_at,
                  step_count, trigger, stop_reason, error, started_at, updated_at, ended_at)
select id, workspace_id, flow_id, flow_version_id, contact_id, conversation_id, channel_id, status, current_node_id, state, wait, due_at,
       step_count, trigger, stop_reason, error, started_at, updated_at, ended_at
  from jsonb_to_recordset(cast(:rows as jsonb))
    as x(id uuid, workspace_id uuid, flow_id uuid, flow_version_id uuid, contact_id uuid, conversation_id uuid, channel_id uuid, status text,
         current_node_id text, state jsonb, wait jsonb, due_at timestamptz, step_count int, trigger jsonb, stop_reason text, error jsonb,
         started_at timestamptz, updated_at timestamptz, ended_at timestamptz)`;

/** Inserts new runs as they stand after their first advance, in one statement (an insert, not an insert and an update). */
export async function insertRuns(em: EntityManager, runs: readonly NewRun[]): Promise<void> {
  if (runs.length === 0) return;
  const rows = runs.map(({ run, outcome, state, stepCount, now }) => {
    const c = outcomeColumns(outcome, state, stepCount, now);
    return {
      id: run.id,
      workspace_id: run.workspaceId,
      flow_id: run.flowId,
      flow_version_id: run.flowVersionId,
      contact_id: run.contactId,
      conversation_id: run.conversationId,
      channel_id: run.channelId,
      status: c.status,
      current_node_id: c.nodeId,
      state,
      wait: outcome.status === 'waiting' ? outcome.wait : null,
      due_at: c.dueAt,
      step_count: stepCount,
      trigger: run.trigger,
      stop_reason: c.stopReason,
      error: outcome.status === 'failed' ? outcome.error : null,
      started_at: run.startedAt.toISOString(),
      updated_at: now.toISOString(),
      ended_at: c.endedAt === null ? null : c.endedAt.toISOString(),
    };
  });
  await runSql(em, INSERT_RUNS_SQL, { rows: JSON.stringify(rows) });
}

/** Records where a run stands after advancing, with its new state and step count. */
export async function saveRunOutcome(
  em: EntityManager,
  runId: string,
  outcome: AdvanceOutcome,
  state: RunState,
  stepCount: number,
  now: Date,
): Promise<void> {
  await runSql(
    em,
    `update runs set status = :status, current_node_id = :nodeId, state = cast(:state as jsonb), wait = cast(:wait as jsonb),
            due_at = cast(:dueAt as timestamptz), step_count = :stepCount, stop_reason = :stopReason, error = cast(:error as jsonb),
            updated_at = :now, ended_at = :endedAt
      where id = :runId`,
    { runId, ...outcomeColumns(outcome, state, stepCount, now) },
  );
}

const LOCK_CONTACT_SQL = `select (opted_out_at is null and restricted_at is null and erased_at is null) as reachable from contacts where id = :contactId for no key update`;
const ContactReachableRow = z.object({ reachable: z.boolean() });

/**
 * Locks the contact row for the rest of the transaction and answers whether automated messages
 * may reach it. Every run transaction locks its contact before anything else it writes (the
 * conversation included), in the same order as the inbound store statement (contact, then
 * conversation), so that the two never deadlock.
 */
export async function lockContact(em: EntityManager, contactId: string): Promise<{ reachable: boolean } | null> {
  const { rows } = await runSql(em, LOCK_CONTACT_SQL, { contactId }, { row: ContactReachableRow });
  return rows[0] ?? null;
}

/** Stops a run (an opt-out, a deactivated flow) with a reason the run history shows. */
export async function stopRun(em: EntityManager, runId: string, reason: string, now: Date): Promise<void> {
  await runSql(
    em,
    `update runs set status = 'stopped', stop_reason = :reason, wait = null, due_at = null, updated_at = :now, ended_at = :now where id = :runId and status in ('running', 'waiting')`,
    { runId, reason, now },
  );
}

/** An executed step of a run, as `run_steps` records it. */
export type NewStep = StepRecord & { id: string; workspaceId: string; runId: string };

/** Inserts executed steps (of one run or several) in one statement. */
export async function insertSteps(em: EntityManager, steps: readonly NewStep[]): Promise<void> {
  if (steps.length === 0) return;
  const rows = steps.map((s) => ({
    id: s.id,
    workspace_id: s.workspaceId,
    run_id: s.runId,
    seq: s.seq,
    node_id: s.nodeId,
    node_type: s.nodeType,
    input: s.input,
    output: s.output,
    port: s.port,
    error: s.error,
    started_at: s.startedAt.toISOString(),
    finished_at: s.finishedAt.toISOString(),
  }));
  await runSql(
    em,
    `insert into run_steps (id, workspace_id, run_id, seq, node_id, node_type, input, output, port, error, started_at, finished_at)
     select id, workspace_id, run_id, seq, node_id, node_type, input, output, port, error, started_at, finished_at
       from jsonb_to_recordset(cast(:rows as jsonb)) as x(id uuid, workspace_id uuid, run_id uuid, seq int, node_id text, node_type text, input jsonb, output jsonb, port text, error jsonb, started_at timestamptz, finished_at timestamptz)`,
    { rows: JSON.stringify(rows) },
  );
}
