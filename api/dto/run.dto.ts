import { z } from 'zod';
import { RUN_STATUSES, type RunStatus } from '../../engine/runs/run-types.ts';

/** Keys whose values are never shown, whatever they hold. */
const SECRET_KEY = /authorization|api[-_]?key|token|secret|password|cookie/i;
export const REDACTED = '[redacted]';
/** Deeper than any step record the runtime writes; below this a value is cut, not walked. */
const MAX_REDACT_DEPTH = 32;

/**
 * A copy of `value` with secrets replaced: whole values under secret-looking keys, and the
 * `value` of `{ name, value }` pairs (HTTP headers) whose name looks secret.
 *
 * The runtime already redacts when it writes a step; this second pass at read time is on
 * purpose: rows written by an older or buggy writer must not leak through the API either.
 */
export function redactForDisplay(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_REDACT_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactForDisplay(v, depth + 1));
  const record = value as Record<string, unknown>;
  const secretHeader = typeof record.name === 'string' && SECRET_KEY.test(record.name);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) {
    out[key] = SECRET_KEY.test(key) || (secretHeader && key === 'value') ? REDACTED : redactForDisplay(v, depth + 1);
  }
  return out;
}

/** A run as the `runs` queries of the API select it. */
export interface RunRow {
  id: string;
  flowId: string;
  flowVersionId: string;
  version: number;
  contactId: string | null;
  conversationId: string | null;
  channelId: string | null;
  status: RunStatus;
  currentNodeId: string | null;
  stepCount: number;
  stopReason: string | null;
  error: unknown;
  dueAt: Date | null;
  startedAt: Date;
  updatedAt: Date;
  endedAt: Date | null;
  draftTest: boolean;
  contactName: string | null;
  contactPhone: string | null;
  testContact: boolean;
  triggerText: string | null;
}

export interface RunDetailRow extends RunRow {
  state: unknown;
  wait: unknown;
  trigger: unknown;
}

export interface RunStepRow {
  seq: number;
  nodeId: string;
  nodeType: string;
  input: unknown;
  output: unknown;
  port: string | null;
  error: unknown;
  startedAt: Date;
  finishedAt: Date;
}

export const RunDto = z.object({
  id: z.uuid(),
  flowId: z.uuid(),
  flowVersionId: z.uuid(),
  /** The published version the run is pinned to; 0 for a test chat run of a draft (`draftTest`). */
  version: z.number().int(),
  draftTest: z.boolean(),
  /** Who the run is with (a test contact of the editor's test chat: `testContact`). */
  contactName: z.string().nullable(),
  contactPhone: z.string().nullable(),
  testContact: z.boolean(),
  /** The text of the message that started the run, when a message did. */
  triggerText: z.string().nullable(),
  contactId: z.uuid().nullable(),
  conversationId: z.uuid().nullable(),
  channelId: z.uuid().nullable(),
  status: z.enum(RUN_STATUSES),
  currentNodeId: z.string().nullable(),
  stepCount: z.number().int(),
  /** Why the run stopped early (a limit, an opt-out, a deactivated flow). */
  stopReason: z.string().nullable(),
  error: z.unknown(),
  /** When a waiting run's timer fires. */
  dueAt: z.string().nullable(),
  startedAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.string().nullable(),
});

export const RunStepDto = z.object({
  seq: z.number().int(),
  nodeId: z.string(),
  nodeType: z.string(),
  input: z.unknown(),
  output: z.unknown(),
  /** The output port the step left by; null when the run ended or waits there. */
  port: z.string().nullable(),
  error: z.unknown(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
});

export const RunDetailDto = RunDto.extend({
  /** Run variables and internal state, redacted. */
  state: z.unknown(),
  wait: z.unknown(),
  /** What started the run (the message, the schedule or the webhook body), redacted. */
  trigger: z.unknown(),
  steps: z.array(RunStepDto),
});

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

export function toRunDto(r: RunRow): z.infer<typeof RunDto> {
  return {
    id: r.id,
    flowId: r.flowId,
    flowVersionId: r.flowVersionId,
    version: r.version,
    contactId: r.contactId,
    conversationId: r.conversationId,
    channelId: r.channelId,
    status: r.status,
    currentNodeId: r.currentNodeId,
    stepCount: r.stepCount,
    stopReason: r.stopReason,
    error: redactForDisplay(r.error ?? null),
    dueAt: iso(r.dueAt),
    startedAt: new Date(r.startedAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
    endedAt: iso(r.endedAt),
    draftTest: r.draftTest,
    contactName: r.contactName,
    contactPhone: r.contactPhone,
    testContact: r.testContact,
    triggerText: r.triggerText,
  };
}

export function toRunStepDto(s: RunStepRow): z.infer<typeof RunStepDto> {
  const startedAt = new Date(s.startedAt);
  const finishedAt = new Date(s.finishedAt);
  return {
    seq: s.seq,
    nodeId: s.nodeId,
    nodeType: s.nodeType,
    input: redactForDisplay(s.input ?? null),
    output: redactForDisplay(s.output ?? null),
    port: s.port,
    error: redactForDisplay(s.error ?? null),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
  };
}

export function toRunDetailDto(r: RunDetailRow, steps: readonly RunStepRow[]): z.infer<typeof RunDetailDto> {
  return { ...toRunDto(r), state: redactForDisplay(r.state), wait: redactForDisplay(r.wait ?? null), trigger: redactForDisplay(r.trigger), steps: steps.map(toRunStepDto) };
}
