import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { Flow as FlowDocument } from '../../../engine/flows/flow.schema.ts';

/** A published version: immutable once written; runs are pinned to one. */
export const FlowVersionSchema = defineEntity({
  name: 'FlowVersion',
  tableName: 'flow_versions',
  properties: {
    id: p.uuid().primary(),
    workspaceId: p.uuid(),
    flowId: p.uuid(),
    /** 1, 2, 3… per flow; 0 for a draft snapshot taken by the test chat. */
    version: p.integer(),
    /** Set on a test snapshot: the draft revision it copies (never active, never listed). */
    testRevision: p.integer().nullable(),
    /** The document as `validateFlow` parsed it (config defaults applied): the runtime compiles it without validating again. */
    document: p.json<FlowDocument>(),
    /**
     * The saved message templates this version sends, pinned when it was published: template id →
     * the id of the template version then current. Editing a template never changes a published version.
     */
    templateVersions: p.json<Record<string, string>>().default('{}'),
    note: p.text().nullable(),
    publishedBy: p.uuid().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type FlowVersion = InferEntity<typeof FlowVersionSchema>;
