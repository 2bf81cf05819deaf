import { z } from 'zod';

/**
 * The kinds of data a workspace keeps for a limited time, each with its own period in days
 * (`null`: kept until deleted by hand). Listed in sweep order: children before parents (a
 * message's file before its row, run steps with their runs), contacts last.
 */
export const RETENTION_KINDS = [
  'media_files',
  'message_content',
  'run_steps',
  'conversation_events',
  'broadcast_recipients',
  'usage_data',
  'audit_log',
  'inactive_contacts',
] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

/** Words for each kind, for the editor and error messages. */
export const RETENTION_KIND_LABELS: Record<RetentionKind, string> = {
  media_files: 'Media files (images, videos, documents, audio)',
  message_content: 'Message content (text and metadata)',
  run_steps: 'Flow run steps (inputs, outputs, errors)',
  conversation_events: 'Conversation events and notes',
  broadcast_recipients: 'Broadcast recipient lists',
  usage_data: 'Usage data (IP address and browser of API requests)',
  audit_log: 'Audit log',
  inactive_contacts: 'Contacts with no activity',
};

export const MIN_RETENTION_DAYS = 1;
/** The audit log is the record of who did what: kept at least a year. */
export const MIN_AUDIT_LOG_DAYS = 365;
export const MAX_RETENTION_DAYS = 36_500;

/** Days per kind; `null` keeps that kind. */
export type RetentionPolicy = Record<RetentionKind, number | null>;

/**
 * What a new workspace keeps: usage data 30 days (the privacy policy keeps it shorter), the audit
 * log 2 years; messaging data until an admin chooses a period; contacts are never removed for
 * inactivity unless an admin turns it on.
 */
export const DEFAULT_RETENTION_POLICY: RetentionPolicy = {
  media_files: null,
  message_content: null,
  run_steps: null,
  conversation_events: null,
  broadcast_recipients: null,
  usage_data: 30,
  audit_log: 730,
  inactive_contacts: null,
};

const Days = z.number().int().min(MIN_RETENTION_DAYS, `keep data at least ${MIN_RETENTION_DAYS} day`).max(MAX_RETENTION_DAYS).nullable();

/** A policy change as the API takes it: any subset of kinds; the others keep their value. */
export const RetentionPolicyPatchSchema = z
  .object({
    media_files: Days.optional(),
    message_content: Days.optional(),
    run_steps: Days.optional(),
    conversation_events: Days.optional(),
    broadcast_recipients: Days.optional(),
    usage_data: Days.optional(),
    audit_log: z
      .number()
      .int()
      .min(MIN_AUDIT_LOG_DAYS, `the audit log is kept at least ${MIN_AUDIT_LOG_DAYS} days`)
      .max(MAX_RETENTION_DAYS)
      .nullable()
      .optional(),
    inactive_contacts: Days.optional(),
  })
  .strict();
export type RetentionPolicyPatch = z.infer<typeof RetentionPolicyPatchSchema>;

/** The full policy: stored values over the defaults (a stored value of another shape is ignored). */
export function resolvePolicy(stored: unknown): RetentionPolicy {
  const parsed = RetentionPolicyPatchSchema.safeParse(stored ?? {});
  const values = parsed.success ? parsed.data : {};
  const policy = { ...DEFAULT_RETENTION_POLICY };
  for (const kind of RETENTION_KINDS) if (values[kind] !== undefined) policy[kind] = values[kind];
  return policy;
}

/** The instant before which a kind's data is expired at `now`, or null when the kind is kept. */
export function cutoffOf(policy: RetentionPolicy, kind: RetentionKind, now: Date): Date | null {
  const days = policy[kind];
  return days === null ? null : new Date(now.getTime() - days * 86_400_000);
}

/** The kinds whose value changed, as `{ kind: [old, new] }` (for the audit log). */
export function policyChanges(
  before: RetentionPolicy,
  after: RetentionPolicy,
): Partial<Record<RetentionKind, [number | null, number | null]>> {
  const changes: Partial<Record<RetentionKind, [number | null, number | null]>> = {};
  for (const kind of RETENTION_KINDS) if (before[kind] !== after[kind]) changes[kind] = [before[kind], after[kind]];
  return changes;
}
