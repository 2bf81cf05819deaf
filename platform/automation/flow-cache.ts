import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Redis } from '../redis.ts';
import { FlowSchema, type Flow } from '../../engine/flows/flow.schema.ts';
import { compileFlow, type CompiledFlow } from '../../engine/runs/compiled-flow.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { loadTemplateVersions } from '../templates/template-store.ts';
import { selectActiveFlowVersions, type ActiveFlowVersion } from './active-flow-versions.sql.ts';
import { InvariantError } from '../../engine/errors/invariant.error.ts';

/** Compiled versions kept per process; versions are immutable, so entries never go stale. */
const MAX_CACHED_VERSIONS = 2_000;

const VERSION_SQL = `select document, template_versions as "templateVersions" from flow_versions where id = :versionId`;
/** A flow version's document and its pinned template versions (template id → version id). */
const VersionRow = z.object({ document: FlowSchema, templateVersions: z.record(z.string(), z.string()) });

const PUBLISHED_VERSION_SQL = `select v.id as "versionId" from flows f join flow_versions v on v.flow_id = f.id and v.version = f.published_version
        where f.id = :flowId and f.workspace_id = :workspaceId and f.active and f.deleted_at is null`;
const PublishedVersionRow = z.object({ versionId: z.string() });

/** A published, active flow of a workspace, as trigger matching needs it. */
export interface ActiveFlow extends ActiveFlowVersion {
  document: Flow;
}

interface WorkspaceEntry<T> {
  generation: string;
  value: T;
}

/**
 * Published flow versions and each workspace's active flows, cached per process.
 *
 * Invalidation across processes: publishing, activating or deactivating a flow increments the
 * workspace's generation counter in Redis (`invalidate`). Every lookup reads that counter (one
 * GET) and rebuilds the workspace's entry when it moved, so the next message on every worker
 * sees the change, with no pub/sub message that a process could miss.
 */
export class FlowCache<TIndex = ActiveFlow[]> {
  private readonly versions = new Map<string, CompiledFlow & { document: Flow }>();
  private readonly workspaces = new Map<string, WorkspaceEntry<TIndex>>();

  constructor(private readonly deps: { redis: Redis; prefix: string; buildIndex: (flows: ActiveFlow[], workspaceId: string) => TIndex }) {}

  private generationKey(workspaceId: string): string {
    return `${this.deps.prefix}:flows-generation:${workspaceId}`;
  }

  /** Call after a workspace's published or active flows changed (in any process). */
  async invalidate(workspaceId: string): Promise<void> {
    await this.deps.redis.incr(this.generationKey(workspaceId));
  }

  /** The compiled flow of a published version. */
  async version(em: EntityManager, versionId: string): Promise<CompiledFlow & { document: Flow }> {
    const cached = this.versions.get(versionId);
    if (cached) return cached;
    const { rows } = await runSql(em, VERSION_SQL, { versionId }, { row: VersionRow });
    if (!rows[0]) throw new InvariantError(`flow version ${versionId} does not exist`, { flowVersionId: versionId });
    // The pinned template versions are immutable too, so they are cached with the version.
    const templates = await loadTemplateVersions(em, Object.values(rows[0].templateVersions));
    const compiled = { ...compileFlow(versionId, rows[0].document, templates), document: rows[0].document };
    if (this.versions.size >= MAX_CACHED_VERSIONS) this.versions.delete(this.versions.keys().next().value!);
    this.versions.set(versionId, compiled);
    return compiled;
  }

  /** The workspace's trigger index, rebuilt when its generation moved. */
  async index(em: EntityManager, workspaceId: string): Promise<TIndex> {
    const generation = (await this.deps.redis.get(this.generationKey(workspaceId))) ?? '0';
    const cached = this.workspaces.get(workspaceId);
    if (cached && cached.generation === generation) return cached.value;
    const flows = await this.loadActiveFlows(em, workspaceId);
    const value = this.deps.buildIndex(flows, workspaceId);
    this.workspaces.set(workspaceId, { generation, value });
    return value;
  }

  /** The active published version of one flow and the node a "start another flow" enters by. */
  async activeVersionOf(
    em: EntityManager,
    workspaceId: string,
    flowId: string,
  ): Promise<{ versionId: string; entryNodeId: string } | null> {
    const { rows } = await runSql(em, PUBLISHED_VERSION_SQL, { flowId, workspaceId }, { row: PublishedVersionRow });
    if (!rows[0]) return null;
    const flow = await this.version(em, rows[0].versionId);
    const entry = flow.document.nodes.find((n) => n.type === 'message_received') ?? flow.document.nodes[0];
    return entry ? { versionId: rows[0].versionId, entryNodeId: entry.id } : null;
  }

  private async loadActiveFlows(em: EntityManager, workspaceId: string): Promise<ActiveFlow[]> {
    const versions = await selectActiveFlowVersions(em, workspaceId);
    // One after the other: the queries share the transaction's connection.
    const flows: ActiveFlow[] = [];
    for (const v of versions) flows.push({ ...v, document: (await this.version(em, v.versionId)).document });
    return flows;
  }
}
