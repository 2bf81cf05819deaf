import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { runSql } from '../pipeline/run-sql.ts';

/**
 * Flow analytics, computed from what the engine already writes (runs, run_steps): nothing is
 * counted on the hot path. The runs of the window come from runs_flow (flow_id, started_at
 * desc), their steps from run_steps' unique (run_id, seq) index, so the cost follows the window
 * (the last N runs, or a date range), not the size of run_steps. Test-chat contacts never count.
 */
export interface RunWindow {
  /** The most recent runs to read (within the date range when one is given). */
  lastRuns: number;
  from: Date | null;
  /** Exclusive. */
  to: Date | null;
}

export interface NodeCount {
  nodeId: string;
  /** Runs that executed the node (a run looping through it counts once). */
  reached: number;
  /** Runs that left the node by each output port. */
  ports: Record<string, number>;
  /** Runs that reached the node and went no further from it: they ended, failed, stopped or are still waiting there. */
  stoppedHere: number;
  /** Of those, runs waiting at the node now (a reply or a timer). */
  waiting: number;
}

const WINDOW = `
  picked as (
    select r.id, r.status, r.current_node_id, r.started_at
      from runs r
      left join contacts c on c.id = r.contact_id
     where r.flow_id = :flowId and r.workspace_id = :workspaceId
       and (cast(:fromAt as timestamptz) is null or r.started_at >= cast(:fromAt as timestamptz))
       and (cast(:toAt as timestamptz) is null or r.started_at < cast(:toAt as timestamptz))
       and coalesce(c.is_test, false) = false
     order by r.started_at desc
     limit :lastRuns
  )`;

// One pass over the window's steps: per node and port, the distinct runs (grouping sets give the
// per-node totals and the per-port splits in the same scan).
const NODE_COUNTS_SQL = `
  with ${WINDOW},
  steps as (
    select s.run_id, s.node_id, s.port from run_steps s join picked p on p.id = s.run_id
  )
  select node_id as "nodeId", port, grouping(port) = 1 as "allPorts",
         count(distinct run_id)::int as runs,
         count(distinct run_id) filter (where port is not null)::int as "leftRuns"
    from steps
   group by grouping sets ((node_id), (node_id, port))`;
/** `port` is null on a node's total (`allPorts`) and for the runs that did not leave it. */
const NodeCountRow = z.object({
  nodeId: z.string(),
  port: z.string().nullable(),
  allPorts: z.boolean(),
  runs: z.number(),
  leftRuns: z.number(),
});

const WAITING_SQL = `
  with ${WINDOW}
  select current_node_id as "nodeId", count(*)::int as waiting from picked where status = 'waiting' and current_node_id is not null group by current_node_id`;
const WaitingRow = z.object({ nodeId: z.string(), waiting: z.number() });

const TOTALS_SQL = `
  with ${WINDOW}
  select count(*)::int as runs,
         count(*) filter (where p.status = 'completed')::int as completed,
         count(*) filter (where p.status = 'failed')::int as failed,
         count(*) filter (where p.status = 'stopped')::int as stopped,
         count(*) filter (where p.status in ('running', 'waiting'))::int as active,
         count(*) filter (where exists (select 1 from run_steps s where s.run_id = p.id and s.node_type = 'hand_off'))::int as "handedOff",
         count(*) filter (where exists (select 1 from run_steps s where s.run_id = p.id and s.node_type = 'opt_out'))::int as "optOuts",
         min(p.started_at) as "firstStartedAt", max(p.started_at) as "lastStartedAt"
    from picked p`;
const FlowTotalsRow = z.object({
  runs: z.number(),
  completed: z.number(),
  failed: z.number(),
  stopped: z.number(),
  /** Running or waiting. */
  active: z.number(),
  /** Runs that handed the conversation to a person. */
  handedOff: z.number(),
  /** Runs whose Opt out node opted the contact out. */
  optOuts: z.number(),
  /** Null when the window has no run (min and max of no rows). */
  firstStartedAt: z.date().nullable(),
  lastStartedAt: z.date().nullable(),
});
export type FlowTotals = z.infer<typeof FlowTotalsRow>;

function bindings(workspaceId: string, flowId: string, window: RunWindow) {
  return { workspaceId, flowId, fromAt: window.from, toAt: window.to, lastRuns: window.lastRuns };
}

/** Per node: how many runs of the window reached it, left it by each port, and stopped there. */
export async function flowNodeCounts(em: EntityManager, workspaceId: string, flowId: string, window: RunWindow): Promise<NodeCount[]> {
  const b = bindings(workspaceId, flowId, window);
  const [counts, waiting] = await Promise.all([
    runSql(em, NODE_COUNTS_SQL, b, { row: NodeCountRow }),
    runSql(em, WAITING_SQL, b, { row: WaitingRow }),
  ]);
  const byNode = new Map<string, NodeCount>();
  for (const row of counts.rows.filter((r) => r.allPorts)) {
    byNode.set(row.nodeId, { nodeId: row.nodeId, reached: row.runs, ports: {}, stoppedHere: row.runs - row.leftRuns, waiting: 0 });
  }
  for (const row of counts.rows.filter((r) => !r.allPorts && r.port !== null)) byNode.get(row.nodeId)!.ports[row.port!] = row.runs;
  for (const row of waiting.rows) {
    const node = byNode.get(row.nodeId);
    if (node) node.waiting = row.waiting;
  }
  return [...byNode.values()];
}

/** The window's runs by outcome, hand-offs and opt-outs. */
export async function flowTotals(em: EntityManager, workspaceId: string, flowId: string, window: RunWindow): Promise<FlowTotals> {
  return (await runSql(em, TOTALS_SQL, bindings(workspaceId, flowId, window), { row: FlowTotalsRow })).rows[0]!;
}
