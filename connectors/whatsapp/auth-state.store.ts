import {
  BufferJSON,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { openJsonText, sealText } from './sealed-json.ts';
import type { Orm } from '../../platform/db/orm.ts';
import type { Logger } from '../../platform/logger.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { StaleFenceError } from './stale-fence.error.ts';

/** The row type of the credentials; signal keys use Baileys' own type names. */
export const CREDS_TYPE = 'creds';
const CREDS_ID = 'creds';

/*
 * The fence: one guarded UPDATE on the session row, first statement of every write transaction.
 * It admits a token equal to or newer than the last writer's and takes the row lock, so writes of
 * one channel are serialised and a paused old holder (lower token) changes nothing.
 */
const FENCE_SQL = `update whatsapp_sessions set fence_token = cast(:token as bigint), updated_at = now()
 where channel_id = cast(:channelId as uuid) and fence_token <= cast(:token as bigint)`;
const UPSERT_SQL = `insert into whatsapp_auth (channel_id, type, id, value, updated_at)
 select cast(:channelId as uuid), cast(:type as text), r.id, decode(r.value, 'base64'), now()
   from jsonb_to_recordset(cast(:rows as jsonb)) as r(id text, value text)
 on conflict (channel_id, type, id) do update set value = excluded.value, updated_at = excluded.updated_at`;
const DELETE_SQL = `delete from whatsapp_auth where channel_id = cast(:channelId as uuid) and type = cast(:type as text) and id = any(cast(:ids as text[]))`;
const AuthValueRow = z.object({ id: z.string(), value: z.instanceof(Buffer) });
const SELECT_SQL = `select id, value from whatsapp_auth where channel_id = cast(:channelId as uuid) and type = cast(:type as text) and id = any(cast(:ids as text[]))`;
const WIPE_SQL = `delete from whatsapp_auth where channel_id = cast(:channelId as uuid)`;

/** AAD of one auth-state value: a value copied to another channel, type or id does not decrypt. */
export function authAad(channelId: string, type: string, id: string): string {
  return `whatsapp-auth:${channelId}:${type}:${id}`;
}

/**
 * A WhatsApp session's auth state in Postgres: one row per (channel, type, id), sealed with
 * AES-256-GCM, serialised with Baileys' BufferJSON. Every write runs in one transaction that
 * first passes the fence with this holder's token.
 */
export class PostgresAuthStore implements SignalKeyStore {
  constructor(private readonly deps: { orm: Orm; secretKey: Buffer; channelId: string; fenceToken: number }) {}

  get channelId(): string {
    return this.deps.channelId;
  }

  /** The stored credentials, or null before the first login. */
  async readCreds(): Promise<AuthenticationCreds | null> {
    const found = await this.read(CREDS_TYPE, [CREDS_ID]);
    return (found[CREDS_ID] as AuthenticationCreds | undefined) ?? null;
  }

  /** Writes the credentials (fenced). */
  async writeCreds(creds: AuthenticationCreds): Promise<void> {
    await this.write({ [CREDS_TYPE]: { [CREDS_ID]: creds } });
  }

  async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]): Promise<{ [id: string]: SignalDataTypeMap[T] }> {
    const found = await this.read(type, ids);
    const out: { [id: string]: SignalDataTypeMap[T] } = {};
    for (const [id, value] of Object.entries(found)) {
      // Baileys expects the proto class here, as its own file store returns it.
      out[id] = (
        type === 'app-state-sync-key' ? proto.Message.AppStateSyncKeyData.fromObject(value as object) : value
      ) as SignalDataTypeMap[T];
    }
    return out;
  }

  /** One transaction for the whole batch; a null value deletes the row. */
  async set(data: SignalDataSet): Promise<void> {
    await this.write(data as Record<string, Record<string, unknown> | undefined>);
  }

  /** Deletes every row of the channel's auth state (logout), fenced like any write. */
  async clear(): Promise<void> {
    await this.fenced(async (em) => {
      await runSql(em, WIPE_SQL, { channelId: this.deps.channelId });
    });
  }

  private async read(type: string, ids: string[]): Promise<Record<string, unknown>> {
    if (ids.length === 0) return {};
    const { rows } = await runSql(
      this.deps.orm.em.fork(),
      SELECT_SQL,
      { channelId: this.deps.channelId, type, ids },
      { row: AuthValueRow },
    );
    const out: Record<string, unknown> = {};
    for (const row of rows)
      out[row.id] = openJsonText(this.deps.secretKey, row.value, authAad(this.deps.channelId, type, row.id), BufferJSON.reviver);
    return out;
  }

  private async write(data: Record<string, Record<string, unknown> | undefined>): Promise<void> {
    await this.fenced(async (em) => {
      for (const [type, entries] of Object.entries(data)) {
        if (!entries) continue;
        const upserts: { id: string; value: string }[] = [];
        const deletes: string[] = [];
        for (const [id, value] of Object.entries(entries)) {
          if (value === null || value === undefined) deletes.push(id);
          else
            upserts.push({
              id,
              value: sealText(
                this.deps.secretKey,
                JSON.stringify(value, BufferJSON.replacer),
                authAad(this.deps.channelId, type, id),
              ).toString('base64'),
            });
        }
        if (upserts.length) await runSql(em, UPSERT_SQL, { channelId: this.deps.channelId, type, rows: JSON.stringify(upserts) });
        if (deletes.length) await runSql(em, DELETE_SQL, { channelId: this.deps.channelId, type, ids: deletes });
      }
    });
  }

  private async fenced(work: (em: EntityManager) => Promise<void>): Promise<void> {
    await this.deps.orm.em.fork().transactional(async (em) => {
      const { rowCount } = await runSql(em, FENCE_SQL, { channelId: this.deps.channelId, token: this.deps.fenceToken });
      if (rowCount === 0) throw new StaleFenceError(this.deps.channelId, this.deps.fenceToken);
      await work(em);
    });
  }
}

/**
 * Baileys' AuthenticationState over the store: the stored creds (or fresh ones from
 * `initAuthCreds` before the first login) and the key store behind Baileys' own cache.
 * `saveCreds` writes the creds object Baileys mutates in place on `creds.update`.
 */
export async function loadAuthState(
  store: PostgresAuthStore,
  logger: Logger,
): Promise<{ state: AuthenticationState; saveCreds: () => Promise<void> }> {
  const creds = (await store.readCreds()) ?? initAuthCreds();
  const state: AuthenticationState = { creds, keys: makeCacheableSignalKeyStore(store, logger) };
  return { state, saveCreds: () => store.writeCreds(state.creds) };
}
