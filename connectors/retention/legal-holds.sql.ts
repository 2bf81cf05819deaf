import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { LegalHoldError } from '../../engine/errors/legal-hold.error.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';

const HoldScopeSchema = z.enum(['workspace', 'contact', 'conversation']);
export type HoldScope = z.infer<typeof HoldScopeSchema>;

/** What a workspace's active holds keep: everything, or these contacts and conversations. */
export interface ActiveHolds {
  workspace: boolean;
  contactIds: string[];
  conversationIds: string[];
}

const COLUMNS = `id, scope, contact_id as "contactId", conversation_id as "conversationId", reason, created_by as "createdBy",
  created_at as "createdAt", released_at as "releasedAt", released_by as "releasedBy"`;
const LegalHoldRowSchema = z.object({
  id: z.string(),
  scope: HoldScopeSchema,
  contactId: z.string().nullable(),
  conversationId: z.string().nullable(),
  reason: z.string(),
  createdBy: z.string().nullable(),
  createdAt: z.date(),
  releasedAt: z.date().nullable(),
  releasedBy: z.string().nullable(),
});
export type LegalHoldRow = z.infer<typeof LegalHoldRowSchema>;

const ActiveHoldRow = z.object({ scope: HoldScopeSchema, contactId: z.string().nullable(), conversationId: z.string().nullable() });
const ContactHoldRow = z.object({ id: z.string(), scope: HoldScopeSchema, reason: z.string() });

/** The holds of a workspace, newest first (active ones and released ones). */
export async function listHolds(em: EntityManager, workspaceId: string, limit: number): Promise<LegalHoldRow[]> {
  return (
    await runSql(
      em,
      `select ${COLUMNS} from legal_holds where workspace_id = :workspaceId order by created_at desc limit :limit`,
      { workspaceId, limit },
      { row: LegalHoldRowSchema },
    )
  ).rows;
}

export async function findHold(em: EntityManager, workspaceId: string, id: string): Promise<LegalHoldRow | null> {
  return (
    (
      await runSql(
        em,
        `select ${COLUMNS} from legal_holds where workspace_id = :workspaceId and id = :id`,
        { workspaceId, id },
        { row: LegalHoldRowSchema },
      )
    ).rows[0] ?? null
  );
}

/** Read before every sweep batch: a hold placed while a sweep runs takes effect at its next batch. */
export async function activeHolds(em: EntityManager, workspaceId: string): Promise<ActiveHolds> {
  const rows = (
    await runSql(
      em,
      `select scope, contact_id as "contactId", conversation_id as "conversationId" from legal_holds where workspace_id = :workspaceId and released_at is null`,
      { workspaceId },
      { row: ActiveHoldRow },
    )
  ).rows;
  return {
    workspace: rows.some((r) => r.scope === 'workspace'),
    contactIds: rows.flatMap((r) => (r.contactId ? [r.contactId] : [])),
    conversationIds: rows.flatMap((r) => (r.conversationId ? [r.conversationId] : [])),
  };
}

/**
 * Throws LegalHoldError when an active hold covers the contact: on the workspace, on the
 * contact, or on one of its conversations. Called under the contact's row lock, so a hold placed
 * meanwhile (which locks the contact too) is seen.
 */
export async function assertNoHoldOnContact(em: EntityManager, workspaceId: string, contactId: string): Promise<void> {
  const hold = (
    await runSql(
      em,
      `select h.id, h.scope, h.reason from legal_holds h
      where h.workspace_id = :workspaceId and h.released_at is null
        and (h.scope = 'workspace' or h.contact_id = :contactId
             or h.conversation_id in (select id from conversations where contact_id = :contactId))
      order by h.created_at limit 1`,
      { workspaceId, contactId },
      { row: ContactHoldRow },
    )
  ).rows[0];
  if (hold) throw new LegalHoldError(hold.scope, hold.id, hold.reason);
}

/**
 * Keeps `contacts.legal_hold` equal to "an active hold names this contact" (shown on the contact
 * and read by segments); written in the transaction that places or releases a hold.
 */
export async function refreshContactHoldFlag(em: EntityManager, contactId: string): Promise<void> {
  await runSql(
    em,
    `update contacts set legal_hold = exists (select 1 from legal_holds where contact_id = :contactId and released_at is null) where id = :contactId`,
    { contactId },
  );
}
