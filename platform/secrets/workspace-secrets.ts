import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { NotFoundError } from '../../engine/errors/app-error.ts';
import { SecretInUseError } from '../../engine/errors/secret-in-use.error.ts';
import { SecretNameTakenError } from '../../engine/errors/secret-name-taken.error.ts';
import { secretReferences } from '../../engine/flows/secret-references.ts';
import type { SecretResolver } from '../../engine/ports/secret-resolver.port.ts';
import { newId } from '../ids.ts';
import { IdRow, runSql } from '../pipeline/run-sql.ts';
import { openSecretValue, sealSecretValue } from './secret-seal.ts';

/** A secret as lists show it: never its value, only the value's last characters. */
export interface SecretSummary {
  id: string;
  name: string;
  last4: string;
  createdBy: { id: string; name: string } | null;
  createdAt: Date;
  updatedAt: Date;
}

/** How many characters of a value lists show. */
const SHOWN_VALUE_CHARS = 4;

const SUMMARY_COLUMNS = `s.id, s.name, s.value_last4 as "last4", s.created_by as "createdById", u.name as "createdByName", s.created_at as "createdAt", s.updated_at as "updatedAt"`;
const LIST_SQL = `select ${SUMMARY_COLUMNS} from workspace_secrets s left join users u on u.id = s.created_by where s.workspace_id = :workspaceId order by s.name`;
const GET_SQL = `select ${SUMMARY_COLUMNS} from workspace_secrets s left join users u on u.id = s.created_by where s.workspace_id = :workspaceId and s.id = :id`;
/** A secret with its creator: `createdById` is null once the user is deleted (or for none), `createdByName` then too (the left join). */
const SummaryRow = z.object({
  id: z.string(),
  name: z.string(),
  last4: z.string(),
  createdById: z.string().nullable(),
  createdByName: z.string().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
type SummaryRow = z.infer<typeof SummaryRow>;

const NAMES_SQL = `select name from workspace_secrets where workspace_id = :workspaceId`;
const NameRow = z.object({ name: z.string() });

const INSERT_SQL = `insert into workspace_secrets (id, workspace_id, name, sealed_value, value_last4, created_by) values (:id, :workspaceId, :name, :sealed, :last4, :createdBy)
        on conflict (workspace_id, name) do nothing returning id`;
const ID_BY_NAME_SQL = `select id from workspace_secrets where workspace_id = :workspaceId and name = :name`;

/** The published documents of the workspace's active flows whose text names the secret. */
const FLOWS_NAMING_SQL = `select f.id, f.name, v.document from flows f join flow_versions v on v.flow_id = f.id and v.version = f.published_version
        where f.workspace_id = :workspaceId and f.active and f.deleted_at is null and strpos(cast(v.document as text), :name) > 0`;
/** The document as far as secretReferences reads it (its nodes' ids, types and configs). */
const FlowNamingRow = z.object({
  id: z.string(),
  name: z.string(),
  document: z.object({ nodes: z.array(z.object({ id: z.string(), type: z.string(), config: z.unknown() })) }),
});

const SEALED_SQL = `select id, name, sealed_value as sealed from workspace_secrets where workspace_id = :workspaceId and name = any(cast(:names as text[]))`;
/** `sealed`: the bytea as the driver gives it. */
const SealedRow = z.object({ id: z.string(), name: z.string(), sealed: z.instanceof(Buffer) });

function toSummary(row: SummaryRow): SecretSummary {
  return {
    id: row.id,
    name: row.name,
    last4: row.last4,
    createdBy: row.createdById ? { id: row.createdById, name: row.createdByName ?? '' } : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The names of a workspace's secrets, for validating flows that name them (no value is read). */
export async function workspaceSecretNames(em: EntityManager, workspaceId: string): Promise<Set<string>> {
  const { rows } = await runSql(em, NAMES_SQL, { workspaceId }, { row: NameRow });
  return new Set(rows.map((r) => r.name));
}

/**
 * The `workspace_secrets` table: values sealed with the installation's key, bound to their
 * workspace, id and name (see secret-seal.ts). Values are opened in one place only, the
 * resolver a run step asks (`resolverFor`); every other method reads names and summaries.
 */
export class WorkspaceSecrets {
  constructor(private readonly secretKey: Buffer) {}

  async list(em: EntityManager, workspaceId: string): Promise<SecretSummary[]> {
    const { rows } = await runSql(em, LIST_SQL, { workspaceId }, { row: SummaryRow });
    return rows.map(toSummary);
  }

  /** Creates a secret; SecretNameTakenError when the name exists (replace its value instead). */
  async create(
    em: EntityManager,
    workspaceId: string,
    input: { name: string; value: string; createdBy: string | null },
  ): Promise<SecretSummary> {
    const id = newId();
    const sealed = sealSecretValue(this.secretKey, { workspaceId, secretId: id, name: input.name }, input.value);
    // `on conflict do nothing`: two creates of one name race on the unique index, not on a read.
    const { rows } = await runSql(
      em,
      INSERT_SQL,
      { id, workspaceId, name: input.name, sealed, last4: input.value.slice(-SHOWN_VALUE_CHARS), createdBy: input.createdBy },
      { row: IdRow },
    );
    if (rows.length === 0) {
      const { rows: existing } = await runSql(em, ID_BY_NAME_SQL, { workspaceId, name: input.name }, { row: IdRow });
      throw new SecretNameTakenError(input.name, existing[0]?.id ?? '');
    }
    return this.get(em, workspaceId, id);
  }

  async get(em: EntityManager, workspaceId: string, id: string): Promise<SecretSummary> {
    const { rows } = await runSql(em, GET_SQL, { workspaceId, id }, { row: SummaryRow });
    if (!rows[0]) throw new NotFoundError('secret', id);
    return toSummary(rows[0]);
  }

  /** Replaces a secret's value (rotation): flows naming it use the new value from their next step. */
  async replace(em: EntityManager, workspaceId: string, id: string, value: string, now: Date): Promise<SecretSummary> {
    const current = await this.get(em, workspaceId, id);
    const sealed = sealSecretValue(this.secretKey, { workspaceId, secretId: id, name: current.name }, value);
    await runSql(
      em,
      `update workspace_secrets set sealed_value = :sealed, value_last4 = :last4, updated_at = :now where workspace_id = :workspaceId and id = :id`,
      { sealed, last4: value.slice(-SHOWN_VALUE_CHARS), now, workspaceId, id },
    );
    return { ...current, last4: value.slice(-SHOWN_VALUE_CHARS), updatedAt: now };
  }

  /**
   * Deletes a secret unless the published version of an active flow names it (SecretInUseError
   * lists those flows). Runs still waiting in an older version that names it fail at that step
   * with `secret_missing`, which says what to do.
   */
  async delete(em: EntityManager, workspaceId: string, id: string): Promise<SecretSummary> {
    const secret = await this.get(em, workspaceId, id);
    // The text search only narrows the versions read; the document's own references decide.
    const { rows } = await runSql(em, FLOWS_NAMING_SQL, { workspaceId, name: secret.name }, { row: FlowNamingRow });
    const users = rows
      .filter((r) => secretReferences(r.document).some((ref) => ref.name === secret.name))
      .map((r) => ({ id: r.id, name: r.name }));
    if (users.length > 0) throw new SecretInUseError(secret.name, users);
    await runSql(em, `delete from workspace_secrets where workspace_id = :workspaceId and id = :id`, { workspaceId, id });
    return secret;
  }

  /** The resolver of one run step: reads and opens the named secrets of the run's workspace, in the run's transaction. */
  resolverFor(em: EntityManager, workspaceId: string): SecretResolver {
    return {
      resolve: async (names) => {
        if (names.length === 0) return new Map();
        const { rows } = await runSql(em, SEALED_SQL, { workspaceId, names: [...names] }, { row: SealedRow });
        return new Map(rows.map((r) => [r.name, openSecretValue(this.secretKey, { workspaceId, secretId: r.id, name: r.name }, r.sealed)]));
      },
    };
  }
}
