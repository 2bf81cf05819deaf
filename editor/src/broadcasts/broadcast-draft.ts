import { BroadcastSpecSchema, type BroadcastSpecInput } from '../../../engine/broadcasts/broadcast-spec.ts';
import { zodIssueDetails } from '../../../engine/errors/zod-issue-details.ts';
import type { JsonLogicRule } from '../../../engine/flows/json-logic.ts';

/**
 * The create form's state: every field as the user typed it, including the ones of the choices
 * not currently selected (switching audience kind and back keeps the rule). `toSpecInput` turns it
 * into the API's body, `checkDraft` validates that body with the API's own schema.
 */
export interface BroadcastDraft {
  name: string;
  channelId: string;
  audienceKind: 'segment' | 'phones' | 'csv';
  rule: unknown;
  phonesText: string;
  csv: string;
  csvFileName: string | null;
  contentKind: 'message' | 'template' | 'flow';
  text: string;
  mediaUrl: string;
  /** A saved template sent by reference. */
  templateId: string;
  flowId: string;
  scheduleKind: 'now' | 'at' | 'recurring';
  localTime: string;
  cron: string;
  /** Empty means the workspace's time zone (the form passes it to `toSpecInput`). */
  timezone: string;
  quietHours: boolean;
  quietStart: string;
  quietEnd: string;
  quietTimezone: 'contact' | 'workspace';
  /** Messages per minute as typed; empty leaves the pace to the channel. */
  pace: string;
}

/** The entries of a pasted list: one per line, or separated by commas or semicolons; blanks dropped. */
export function splitPhoneList(text: string): string[] {
  return text
    .split(/[\n,;]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** Everyone with a phone: a segment to narrow down, rather than an empty rule that matches nobody. */
export const DEFAULT_SEGMENT_RULE = { '!!': { var: 'contact.phone' } };

export function newDraft(): BroadcastDraft {
  return {
    name: '',
    channelId: '',
    audienceKind: 'segment',
    rule: DEFAULT_SEGMENT_RULE,
    phonesText: '',
    csv: '',
    csvFileName: null,
    contentKind: 'message',
    text: '',
    mediaUrl: '',
    templateId: '',
    flowId: '',
    scheduleKind: 'now',
    localTime: '',
    cron: '0 9 * * 1',
    timezone: '',
    quietHours: false,
    quietStart: '21:00',
    quietEnd: '08:00',
    quietTimezone: 'contact',
    pace: '',
  };
}

/** The API's create body for a draft; `fallbackTimezone` stands in for an empty time zone. */
export function toSpecInput(draft: BroadcastDraft, fallbackTimezone: string): BroadcastSpecInput {
  const timezone = draft.timezone.trim() || fallbackTimezone;
  const audience: BroadcastSpecInput['audience'] =
    draft.audienceKind === 'segment'
      ? // Typed as JSON here and checked as JSON by `checkDraft` before anything is sent.
        { kind: 'segment', rule: draft.rule as JsonLogicRule }
      : draft.audienceKind === 'phones'
        ? { kind: 'phones', phones: splitPhoneList(draft.phonesText) }
        : { kind: 'csv', csv: draft.csv };
  const content: BroadcastSpecInput['content'] =
    draft.contentKind === 'message'
      ? { kind: 'message', text: draft.text, ...(draft.mediaUrl.trim() ? { mediaUrl: draft.mediaUrl.trim() } : {}) }
      : draft.contentKind === 'template'
        ? { kind: 'template', templateId: draft.templateId }
        : { kind: 'flow', flowId: draft.flowId };
  const schedule: BroadcastSpecInput['schedule'] =
    draft.scheduleKind === 'now'
      ? { kind: 'now' }
      : draft.scheduleKind === 'at'
        ? { kind: 'at', localTime: draft.localTime, timezone }
        : { kind: 'recurring', cron: draft.cron.trim(), timezone };
  return {
    name: draft.name,
    channelId: draft.channelId,
    audience,
    content,
    schedule,
    quietHours: draft.quietHours ? { start: draft.quietStart, end: draft.quietEnd, timezone: draft.quietTimezone } : null,
    pacePerMinute: draft.pace.trim() === '' ? null : Number(draft.pace),
  };
}

/** A problem with one field of the body, as the API's validation errors list them. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** What the API's schema finds wrong with the body (empty when it would accept its shape). */
export function checkDraft(spec: BroadcastSpecInput): FieldProblem[] {
  // No template picked yet: said in words, rather than as the schema's "invalid UUID".
  if (spec.content.kind === 'template' && spec.content.templateId === '')
    return [{ path: 'content.templateId', message: 'pick a template, or write the message' }];
  const result = BroadcastSpecSchema.safeParse(spec);
  return result.success ? [] : zodIssueDetails(result.error);
}

/** The form's state for an existing broadcast, so that `toSpecInput` gives its spec back. */
export function draftOf(spec: BroadcastSpecInput): BroadcastDraft {
  const blank = newDraft();
  const { audience, content, schedule, quietHours } = spec;
  return {
    ...blank,
    name: spec.name,
    channelId: spec.channelId,
    audienceKind: audience.kind,
    rule: audience.kind === 'segment' ? audience.rule : blank.rule,
    phonesText: audience.kind === 'phones' ? audience.phones.join('\n') : '',
    csv: audience.kind === 'csv' ? audience.csv : '',
    contentKind: content.kind,
    text: content.kind === 'message' ? content.text : '',
    mediaUrl: content.kind === 'message' ? (content.mediaUrl ?? '') : '',
    templateId: content.kind === 'template' ? content.templateId : '',
    flowId: content.kind === 'flow' ? content.flowId : '',
    scheduleKind: schedule.kind,
    localTime: schedule.kind === 'at' ? schedule.localTime : '',
    cron: schedule.kind === 'recurring' ? schedule.cron : blank.cron,
    timezone: schedule.kind === 'now' ? '' : schedule.timezone,
    quietHours: quietHours != null,
    quietStart: quietHours?.start ?? blank.quietStart,
    quietEnd: quietHours?.end ?? blank.quietEnd,
    quietTimezone: quietHours?.timezone ?? blank.quietTimezone,
    pace: spec.pacePerMinute == null ? '' : String(spec.pacePerMinute),
  };
}

/**
 * The top-level fields of `next` that differ from `before`: the body of an edit. A started
 * broadcast accepts changes to its name, pace and quiet hours only, so an edit never resends
 * the fields it did not touch.
 */
export function changedFields(next: BroadcastSpecInput, before: BroadcastSpecInput): Partial<BroadcastSpecInput> {
  const keys = Object.keys(next) as (keyof BroadcastSpecInput)[];
  return Object.fromEntries(
    keys.filter((k) => JSON.stringify(next[k] ?? null) !== JSON.stringify(before[k] ?? null)).map((k) => [k, next[k]]),
  );
}
