import { z } from 'zod';
import { IMPORT_STATUSES, type ImportProblem, type ImportRow } from '../../platform/contacts/contact-import.store.ts';

export const ContactImportDto = z.object({
  id: z.uuid(),
  fileName: z.string(),
  status: z.enum(IMPORT_STATUSES),
  dryRun: z.boolean(),
  options: z.object({
    columns: z.unknown().optional(),
    defaultCountry: z.string().nullable(),
    onExisting: z.enum(['update', 'skip']),
    addTags: z.array(z.string()),
    header: z.array(z.string()),
  }),
  /** Data rows of the file: estimated from its line breaks until the job has read it all. */
  rowsTotal: z.number().int(),
  rowsDone: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
  error: z.string().nullable(),
  problems: z.array(z.object({ row: z.number().int(), problem: z.string(), values: z.array(z.string()) })),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type ContactImportDto = z.infer<typeof ContactImportDto>;

export function toContactImportDto(r: ImportRow, problems: ImportProblem[]): ContactImportDto {
  return {
    id: r.id,
    fileName: r.fileName,
    status: r.status,
    dryRun: r.dryRun,
    options: {
      columns: r.options.columns,
      defaultCountry: r.options.defaultCountry,
      onExisting: r.options.onExisting,
      addTags: r.options.addTags,
      header: r.options.header,
    },
    rowsTotal: r.rowsTotal,
    rowsDone: r.rowsDone,
    created: r.created,
    updated: r.updated,
    skipped: r.skipped,
    failed: r.failed,
    error: r.error,
    problems,
    createdAt: r.createdAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
  };
}
