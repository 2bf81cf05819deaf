import { z } from 'zod';
import { redactSecrets } from '../../engine/runs/redact.ts';
import { RUN_STATUSES } from '../../engine/runs/run-types.ts';

/**
 * A run as the `runs` queries of the API select it (api/routes/runs.routes.ts): with its flow
 * version (joined), its contact (left joined: none for a run without one, or a contact erased
 * since) and the text of the message that started it (none for a run started otherwise).
 */
export const RunRow = z.object({
  id: z.string(),
  flowId: z.string(),
  flowVersionId: z.string(),
  version: z.number(),
  contactId: z.string().nullable(),
  conversationId: z.string().nullable(),
  channelId: z.string().nullable(),
  status: z.enum(RUN_STATUSES),
  currentNodeId: z.string().nullable(),
  stepCount: z.number(),
  stopReason: z.string().nullable(),
  error: z.unknown(),
  dueAt: z.date().nullable(),
  startedAt: z.date(),
  updatedAt: z.date(),
  endedAt: z.date().nullable(),
  draftTest: z.boolean(),
  contactName: z.string().nullable(),
  contactPhone: z.string().nullable(),
  testContact: z.boolean(),
  triggerText: z.string().nullable(),
});
export type RunRow = z.infer<typeof RunRow>;

/** A run with its state, its wait (null when it waits for nothing) and its trigger. */
export const RunDetailRow = RunRow.extend({ state: z.unknown(), wait: z.unknown(), trigger: z.unknown() });
export type RunDetailRow = z.infer<typeof RunDetailRow>;

/** A step of a run: its input, output and error are null when the step had none. */
export const RunStepRow = z.object({
  seq: z.number(),
  nodeId: z.string(),
  nodeType: z.string(),
  input: z.unknown(),
  output: z.unknown(),
  port: z.string().nullable(),
  error: z.unknown(),
  startedAt: z.date(),
  finishedAt: z.date(),
});
export type RunStepRow = z.infer<typeof RunStepRow>;

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

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

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
    error: redactSecrets(r.error ?? null),
    dueAt: iso(r.dueAt),
    startedAt: r.startedAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    endedAt: iso(r.endedAt),
    draftTest: r.draftTest,
    contactName: r.contactName,
    contactPhone: r.contactPhone,
    testContact: r.testContact,
    triggerText: r.triggerText,
  };
}

export function toRunStepDto(s: RunStepRow): z.infer<typeof RunStepDto> {
  const { startedAt, finishedAt } = s;
  return {
    seq: s.seq,
    nodeId: s.nodeId,
    nodeType: s.nodeType,
    input: redactSecrets(s.input ?? null),
    output: redactSecrets(s.output ?? null),
    port: s.port,
    error: redactSecrets(s.error ?? null),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
  };
}

export function toRunDetailDto(r: RunDetailRow, steps: readonly RunStepRow[]): z.infer<typeof RunDetailDto> {
  return {
    ...toRunDto(r),
    state: redactSecrets(r.state),
    wait: redactSecrets(r.wait ?? null),
    trigger: redactSecrets(r.trigger),
    steps: steps.map(toRunStepDto),
  };
}
