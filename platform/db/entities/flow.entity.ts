import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * A flow: its draft and lifecycle. Named `FlowRecord` because `Flow`/`FlowSchema` are the flow
 * document's type and zod schema in engine/flows.
 */
export const FlowRecordSchema = defineEntity({
  name: 'Flow',
  tableName: 'flows',
  properties: {
    id: p.uuid().primary(),
    workspaceId: p.uuid(),
    name: p.text(),
    description: p.text().nullable(),
    /** The editor's working copy: any `{ schemaVersion, nodes, edges }`, valid or not. Runs never read it. */
    draft: p.json<Record<string, unknown>>(),
    /** Bumped on every save of the draft; a save names the revision it edited (conflict detection). */
    draftRevision: p.integer().default(1),
    /** Active flows start runs; only a flow with a published version can be active. */
    active: p.boolean().default(false),
    /** The version runs start on (`flow_versions.version`); null until the first publish. */
    publishedVersion: p.integer().nullable(),
    /** When several active flows match a message, the highest priority starts (then the most specific trigger). */
    priority: p.integer().default(0),
    /** SHA-256 of the inbound webhook token; the token itself is shown once. */
    webhookTokenHash: p.text().nullable(),
    createdBy: p.uuid().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    deletedAt: p.datetime().nullable(),
  },
});
export type FlowRecord = InferEntity<typeof FlowRecordSchema>;
