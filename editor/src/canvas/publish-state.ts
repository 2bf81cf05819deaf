import { validateFlow } from '../../../engine/flows/validate-flow.ts';
import type { FlowDocumentJson } from '../api/api-types.ts';

/** JSON with object keys sorted: two documents that differ only in key order are the same (Postgres' jsonb reorders keys). */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * Whether the draft differs from the published version: what "Unpublished changes" in the header
 * says. The published document was stored as validateFlow parsed it (defaults filled in), so the
 * draft is compared in that same form; a draft that does not validate differs by definition.
 * Never published: any draft with nodes is unpublished work.
 */
export function hasUnpublishedChanges(draft: FlowDocumentJson, published: unknown): boolean {
  if (published === null || published === undefined) return draft.nodes.length > 0;
  const parsed = validateFlow(draft);
  if (!parsed.ok) return true;
  return canonical(parsed.flow) !== canonical(published);
}
