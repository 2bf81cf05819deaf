import { BufferJSON, Curve, initAuthCreds, makeCacheableSignalKeyStore, proto, type SignalDataTypeMap } from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SealedBoxError } from '../platform/crypto/sealed-box.ts';
import { newId } from '../platform/ids.ts';
import { testSql } from './support/test-sql.ts';
import { authAad, loadAuthState, PostgresAuthStore } from '../connectors/whatsapp/auth-state.store.ts';
import { StaleFenceError } from '../connectors/whatsapp/stale-fence.error.ts';
import { ensureSessionRow } from '../connectors/whatsapp/whatsapp-sessions.sql.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

let env: TestEnv;
const logger = pino({ level: 'silent' });

async function sql<Row = Record<string, unknown>>(text: string, bindings: Record<string, unknown> = {}): Promise<Row[]> {
  return (await testSql<Row>(env.orm.em.fork(), text, bindings)).rows;
}

async function whatsappChannel(): Promise<string> {
  const workspaceId = newId();
  const channelId = newId();
  await sql(`insert into workspaces (id, name) values (:workspaceId, 'WA auth')`, { workspaceId });
  await sql(
    `insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'whatsapp', 'Phone', 'disconnected')`,
    { channelId, workspaceId },
  );
  await ensureSessionRow(env.orm.em.fork(), channelId);
  return channelId;
}

function store(channelId: string, fenceToken: number): PostgresAuthStore {
  return new PostgresAuthStore({ orm: env.orm, secretKey: env.config.secretKey, channelId, fenceToken });
}

/** One value of every signal key type Baileys 7 stores, from real key material. */
function everyKeyType(): { [T in keyof SignalDataTypeMap]?: { [id: string]: SignalDataTypeMap[T] } } {
  const pair = Curve.generateKeyPair();
  return {
    'pre-key': { '1': pair },
    session: { '15551234567.0': Buffer.from('session record bytes') },
    'sender-key': { 'group@g.us::15551234567::0': Buffer.from('sender key record') },
    'sender-key-memory': { 'group@g.us': { '15551234567@s.whatsapp.net': true } },
    'app-state-sync-key': {
      AAAAAB4F: proto.Message.AppStateSyncKeyData.fromObject({ keyData: Buffer.from('app state key data'), timestamp: 1_764_000_000 }),
    },
    'app-state-sync-version': {
      regular: { version: 3, hash: Buffer.alloc(128, 7), indexValueMap: { abc: { valueMac: Buffer.from('mac') } } },
    },
    'lid-mapping': { '15551234567': '123456789@lid', '123456789_reverse': '15551234567' },
    'device-list': { '15551234567': ['0', '1'] },
    tctoken: { '15551234567@s.whatsapp.net': { token: Buffer.from('tc token'), timestamp: '1764000000' } },
    'identity-key': { '15551234567.0': pair.public },
  };
}

beforeAll(async () => {
  env = await createTestEnv();
});

afterAll(async () => {
  await env?.cleanup();
});

describe('PostgresAuthStore', () => {
  describe('when creds and every key type are written and read back', () => {
    it('returns values equal to what was written (Buffers included), one row per channel, type and id', async () => {
      const channelId = await whatsappChannel();
      const s = store(channelId, 1);
      const creds = initAuthCreds();
      creds.me = { id: '15550009999:1@s.whatsapp.net', lid: '999000:1@lid' };
      await s.writeCreds(creds);
      const keys = everyKeyType();
      await s.set(keys);

      const again = store(channelId, 1);
      expect(JSON.stringify(await again.readCreds(), BufferJSON.replacer)).toBe(JSON.stringify(creds, BufferJSON.replacer));
      expect(Buffer.from((await again.readCreds())!.noiseKey.private)).toEqual(Buffer.from(creds.noiseKey.private));
      for (const [type, values] of Object.entries(keys)) {
        const read = await again.get(type as keyof SignalDataTypeMap, Object.keys(values));
        // Compared as BufferJSON documents: Buffers and Uint8Arrays become the same tagged base64.
        expect(JSON.parse(JSON.stringify(read, BufferJSON.replacer)), type).toEqual(
          JSON.parse(JSON.stringify(values, BufferJSON.replacer)),
        );
      }
      const appKey = (await again.get('app-state-sync-key', ['AAAAAB4F'])).AAAAAB4F!;
      expect(appKey).toBeInstanceOf(proto.Message.AppStateSyncKeyData);
      const rows = await sql<{ type: string; n: number }>(
        `select type, count(*)::int as n from whatsapp_auth where channel_id = :channelId group by type order by type`,
        { channelId },
      );
      expect(rows.map((r) => r.type)).toEqual(
        [
          'app-state-sync-key',
          'app-state-sync-version',
          'creds',
          'device-list',
          'identity-key',
          'lid-mapping',
          'pre-key',
          'sender-key',
          'sender-key-memory',
          'session',
          'tctoken',
        ].sort(),
      );
      expect(rows.find((r) => r.type === 'lid-mapping')!.n).toBe(2);
    });

    it('stores ciphertext that contains none of the plaintext', async () => {
      const channelId = await whatsappChannel();
      const creds = initAuthCreds();
      await store(channelId, 1).writeCreds(creds);
      await store(channelId, 1).set({ 'lid-mapping': { '15551234567': '123456789@lid' } });
      const rows = await sql<{ value: Buffer }>(`select value from whatsapp_auth where channel_id = :channelId`, { channelId });
      const noise = Buffer.from(creds.noiseKey.private);
      for (const row of rows) {
        expect(row.value.includes(noise)).toBe(false);
        expect(row.value.includes(Buffer.from(noise.toString('base64')))).toBe(false);
        expect(row.value.includes(Buffer.from('123456789@lid'))).toBe(false);
        expect(row.value.includes(Buffer.from('advSecretKey'))).toBe(false);
      }
    });

    it('binds each value to its channel, type and id: a row copied elsewhere does not decrypt', async () => {
      const channelId = await whatsappChannel();
      await store(channelId, 1).set({ session: { a: Buffer.from('one'), b: Buffer.from('two') } });
      await sql(
        `update whatsapp_auth set value = (select value from whatsapp_auth where channel_id = :channelId and id = 'a') where channel_id = :channelId and id = 'b'`,
        { channelId },
      );
      await expect(store(channelId, 1).get('session', ['b'])).rejects.toBeInstanceOf(SealedBoxError);
      expect(authAad(channelId, 'session', 'b')).toBe(`whatsapp-auth:${channelId}:session:b`);
    });
  });

  describe('when a keys.set batch mixes writes and nulls', () => {
    it('writes and deletes in one transaction', async () => {
      const channelId = await whatsappChannel();
      const s = store(channelId, 1);
      await s.set({ session: { a: Buffer.from('a'), b: Buffer.from('b') } });
      await s.set({ session: { a: null, c: Buffer.from('c') }, 'pre-key': { '5': Curve.generateKeyPair() } });
      expect(Object.keys(await s.get('session', ['a', 'b', 'c'])).sort()).toEqual(['b', 'c']);
      expect(Object.keys(await s.get('pre-key', ['5']))).toEqual(['5']);
    });

    it('leaves nothing behind when the batch fails part-way (stale fence)', async () => {
      const channelId = await whatsappChannel();
      await store(channelId, 5).set({ session: { keep: Buffer.from('k') } });
      await expect(store(channelId, 4).set({ session: { keep: null, added: Buffer.from('x') } })).rejects.toBeInstanceOf(StaleFenceError);
      expect(Object.keys(await store(channelId, 5).get('session', ['keep', 'added']))).toEqual(['keep']);
    });
  });

  describe('when an older lease holder writes after a newer one', () => {
    it('refuses the stale token with StaleFenceError and keeps the newer keys', async () => {
      const channelId = await whatsappChannel();
      const oldHolder = store(channelId, 1);
      const newHolder = store(channelId, 2);
      await oldHolder.set({ session: { s: Buffer.from('old') } });
      await newHolder.set({ session: { s: Buffer.from('new') } });
      const refused = await oldHolder.set({ session: { s: Buffer.from('corrupt') } }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(StaleFenceError);
      expect((refused as StaleFenceError).message).toBe(
        `channel ${channelId}: fencing token 1 is stale; another process holds the session`,
      );
      expect((refused as StaleFenceError).disposition).toBe('never');
      await expect(oldHolder.writeCreds(initAuthCreds())).rejects.toBeInstanceOf(StaleFenceError);
      await expect(oldHolder.clear()).rejects.toBeInstanceOf(StaleFenceError);
      expect((await newHolder.get('session', ['s'])).s).toEqual(Buffer.from('new'));
    });
  });

  describe('when the session logs out', () => {
    it('wipes every row of the channel and only that channel', async () => {
      const channelId = await whatsappChannel();
      const other = await whatsappChannel();
      await store(channelId, 1).writeCreds(initAuthCreds());
      await store(channelId, 1).set(everyKeyType());
      await store(other, 1).writeCreds(initAuthCreds());
      await store(channelId, 1).clear();
      expect(await sql(`select 1 from whatsapp_auth where channel_id = :channelId`, { channelId })).toEqual([]);
      expect(await store(other, 1).readCreds()).not.toBeNull();
    });
  });

  describe('behind Baileys caches', () => {
    it('makeCacheableSignalKeyStore reads through and writes through to Postgres', async () => {
      const channelId = await whatsappChannel();
      const cached = makeCacheableSignalKeyStore(store(channelId, 1), logger);
      const pair = Curve.generateKeyPair();
      await cached.set({ 'pre-key': { '9': pair } });
      expect(Buffer.from((await store(channelId, 1).get('pre-key', ['9']))['9']!.private)).toEqual(Buffer.from(pair.private));
      expect(Buffer.from((await cached.get('pre-key', ['9']))['9']!.public)).toEqual(Buffer.from(pair.public));
    });

    it('loadAuthState starts from initAuthCreds before a login and saves the creds Baileys mutates', async () => {
      const channelId = await whatsappChannel();
      const { state, saveCreds } = await loadAuthState(store(channelId, 1), logger);
      expect(state.creds.registered).toBe(false);
      state.creds.registered = true;
      state.creds.me = { id: '15550009999:1@s.whatsapp.net' };
      await saveCreds();
      const { state: reloaded } = await loadAuthState(store(channelId, 1), logger);
      expect(reloaded.creds.registered).toBe(true);
      expect(Buffer.from(reloaded.creds.signedIdentityKey.private)).toEqual(Buffer.from(state.creds.signedIdentityKey.private));
    });
  });
});
