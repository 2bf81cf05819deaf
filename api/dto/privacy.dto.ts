import { z } from 'zod';
import { RETENTION_KIND_LABELS, RETENTION_KINDS, type RetentionKind } from '../../engine/retention/retention-policy.ts';
import type { ExportRow } from '../../connectors/retention/contact-export.ts';
import type { LegalHoldRow } from '../../connectors/retention/legal-holds.sql.ts';
import type { SweepRow } from '../../connectors/retention/retention-sweep.store.ts';

const Kind = z.enum(RETENTION_KINDS);
const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export const RetentionPolicyDto = z.object({
  policy: z.record(Kind, z.number().int().nullable()),
  kinds: z.array(z.object({ kind: Kind, label: z.string(), days: z.number().int().nullable(), defaultDays: z.number().int().nullable() })),
  schedule: z.object({ cron: z.string(), timezone: z.string() }),
  updatedAt: z.string().nullable(),
});

export const RetentionPreviewDto = z.object({
  workspaceHold: z.boolean(),
  kinds: z.array(
    z.object({
      kind: Kind,
      label: z.string(),
      days: z.number().int().nullable(),
      cutoff: z.string().nullable(),
      rows: z.number(),
      bytes: z.number(),
    }),
  ),
});

export const SweepDto = z.object({
  id: z.uuid(),
  status: z.enum(['queued', 'running', 'completed', 'failed']),
  dryRun: z.boolean(),
  trigger: z.enum(['schedule', 'api', 'cli']),
  requestedBy: z.uuid().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  kinds: z.array(
    z.object({
      kind: Kind,
      label: z.string(),
      status: z.enum(['kept', 'skipped', 'pending', 'running', 'done']),
      cutoff: z.string().nullable(),
      total: z.number(),
      totalBytes: z.number(),
      deleted: z.number(),
      bytes: z.number(),
      files: z.number(),
      /** 0-100: deleted of what the sweep found when it began (100 once the kind is done). */
      percent: z.number(),
    }),
  ),
});

export function toSweepDto(s: SweepRow): z.infer<typeof SweepDto> {
  return {
    id: s.id,
    status: s.status,
    dryRun: s.dryRun,
    trigger: s.trigger,
    requestedBy: s.requestedBy,
    error: s.error,
    createdAt: iso(s.createdAt)!,
    startedAt: iso(s.startedAt),
    finishedAt: iso(s.finishedAt),
    kinds: RETENTION_KINDS.map((kind: RetentionKind) => {
      const p = s.progress[kind] ?? { status: 'kept' as const, total: 0, totalBytes: 0, deleted: 0, bytes: 0, files: 0 };
      const percent =
        p.status === 'done' || p.status === 'kept' || p.status === 'skipped'
          ? 100
          : p.total === 0
            ? 0
            : Math.min(99, Math.floor((100 * p.deleted) / p.total));
      const { status, total, totalBytes, deleted, bytes, files } = p;
      return {
        kind,
        label: RETENTION_KIND_LABELS[kind],
        cutoff: s.cutoffs[kind] ?? null,
        status,
        total,
        totalBytes,
        deleted,
        bytes,
        files,
        percent,
      };
    }),
  };
}

export const LegalHoldDto = z.object({
  id: z.uuid(),
  scope: z.enum(['workspace', 'contact', 'conversation']),
  contactId: z.uuid().nullable(),
  conversationId: z.uuid().nullable(),
  reason: z.string(),
  active: z.boolean(),
  createdBy: z.uuid().nullable(),
  createdAt: z.string(),
  releasedAt: z.string().nullable(),
  releasedBy: z.uuid().nullable(),
});

export function toLegalHoldDto(h: LegalHoldRow): z.infer<typeof LegalHoldDto> {
  return { ...h, active: h.releasedAt === null, createdAt: iso(h.createdAt)!, releasedAt: iso(h.releasedAt) };
}

export const ExportDto = z.object({
  id: z.uuid(),
  contactId: z.uuid(),
  status: z.enum(['queued', 'running', 'ready', 'failed', 'expired']),
  progress: z.number().int(),
  sizeBytes: z.number().nullable(),
  error: z.string().nullable(),
  requestedBy: z.uuid().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  /** Where an admin downloads the archive once ready. */
  downloadPath: z.string().nullable(),
});

export function toExportDto(e: ExportRow): z.infer<typeof ExportDto> {
  return {
    id: e.id,
    contactId: e.contactId,
    status: e.status,
    progress: e.progress,
    sizeBytes: e.sizeBytes,
    error: e.error,
    requestedBy: e.requestedBy,
    createdAt: iso(e.createdAt)!,
    finishedAt: iso(e.finishedAt),
    expiresAt: iso(e.expiresAt),
    downloadPath: e.status === 'ready' ? `/api/v1/exports/${e.id}/download` : null,
  };
}

export const ConsentEventDto = z.object({
  action: z.enum(['opt_out', 'opt_in', 'restrict', 'unrestrict']),
  source: z.enum(['keyword', 'node', 'api', 'editor']),
  channelId: z.uuid().nullable(),
  actorUserId: z.uuid().nullable(),
  runId: z.uuid().nullable(),
  at: z.string(),
});
