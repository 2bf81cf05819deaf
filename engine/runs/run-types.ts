/**
 * The run model shared by the pure interpreter and the runtime that persists it. A run is
 * pinned to one published flow version; its state is data, stored in the runs row.
 */
import type { WeeklyHours } from '../flows/nodes/business-hours.node.ts';

export const RUN_STATUSES = ['running', 'waiting', 'completed', 'failed', 'stopped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Most steps one run may execute: a loop through waits still ends. */
export const MAX_STEPS_PER_RUN = 500;
/** Most runs started for one contact in a minute: a bot talking to a bot is stopped. */
export const MAX_RUNS_PER_CONTACT_PER_MINUTE = 30;

/** What the run carries from step to step. */
export interface RunState {
  /** Run variables (`{{vars.x}}`): answers, HTTP results. */
  vars: Record<string, unknown>;
  /** Per-node counters, such as how many times a question was re-asked. */
  attempts: Record<string, number>;
  /**
   * The id of the message that started or last resumed the run (`facts.message`), kept across
   * every wait: a run woken by its timer reads that message again, so `{{message.text}}` after
   * a delay or a timeout is still the message that started or last resumed it. Written by the
   * runtime, not by node executors.
   */
  messageId?: string | null;
}

/** The contact as flows see it; effects of earlier steps are applied to this copy. */
export interface ContactFacts {
  id: string;
  phone: string | null;
  name: string | null;
  attributes: Record<string, unknown>;
  tags: string[];
}

/** Read-only facts a run renders templates and evaluates conditions against. */
export interface RunFacts {
  contact: ContactFacts | null;
  /** The message that started or last resumed the run. */
  message: { id: string; text: string | null; type: string } | null;
  conversation: { id: string; channelId: string; status: string } | null;
  /** The trigger's input (a webhook body, the schedule's fire time). */
  trigger: Record<string, unknown>;
  /** `businessHours` null or absent: the default hours (DEFAULT_BUSINESS_HOURS). */
  workspace: { id: string; timezone: string; businessHours?: WeeklyHours | null };
}

/** How a waiting node is woken. */
export type Resume = { kind: 'reply'; message: { id: string; text: string | null; type: string } } | { kind: 'timeout' };

/** What a run is waiting for. `dueAt` null: no timeout (a reply only). */
export interface RunWait {
  kind: 'reply' | 'timer';
  dueAt: string | null;
}

/** Side effects a step asks for; the runtime applies them in the step's transaction. */
export type Effect =
  | { kind: 'send'; text: string; mediaUrl?: string }
  | { kind: 'set_attribute'; key: string; value: string }
  | { kind: 'add_tag'; tag: string }
  | { kind: 'remove_tag'; tag: string }
  | { kind: 'hand_off'; teamId?: string; agentId?: string; note?: string }
  | { kind: 'opt_out' }
  | { kind: 'opt_in' }
  | { kind: 'start_flow'; flowId: string };

/** One executed step, as recorded in run_steps. */
export interface StepRecord {
  seq: number;
  nodeId: string;
  nodeType: string;
  input: unknown;
  output: unknown;
  port: string | null;
  error: { code: string; message: string } | null;
  effects: Effect[];
  startedAt: Date;
  finishedAt: Date;
}

/** Where a run stands after the interpreter stops advancing it. */
export type AdvanceOutcome =
  | { status: 'waiting'; nodeId: string; wait: RunWait }
  | { status: 'completed'; nodeId: string | null }
  | { status: 'failed'; nodeId: string; error: { code: string; message: string } }
  | { status: 'stopped'; nodeId: string | null; reason: string };
