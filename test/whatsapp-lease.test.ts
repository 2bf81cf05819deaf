import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelLeases } from '../connectors/whatsapp/channel-lease.ts';
import { StaleFenceError } from '../connectors/whatsapp/stale-fence.error.ts';
import { PostgresAuthStore } from '../connectors/whatsapp/auth-state.store.ts';
import { newId } from '../platform/ids.ts';
import { eventually } from './support/eventually.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';
import { startWhatsappHarness, type WhatsappHarness } from './support/whatsapp-harness.ts';

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
});

afterAll(async () => {
  await env?.cleanup();
});

function leases(holderId: string, ttlMs = 60_000): ChannelLeases {
  return new ChannelLeases({ redis: env.redis, prefix: env.config.redisPrefix, holderId, ttlMs });
}

describe('ChannelLeases against the real Redis', () => {
  it('gives a channel to one holder at a time, with a token that grows with every new holder', async () => {
    const channelId = newId();
    const a = leases('a');
    const b = leases('b');
    const first = await a.acquire(channelId);
    expect(first).toEqual({ channelId, token: 1 });
    expect(await b.acquire(channelId)).toBeNull();
    expect(await a.renew(first!)).toBe(true);
    await a.release(first!);
    const second = await b.acquire(channelId);
    expect(second).toEqual({ channelId, token: 2 });
    expect(await b.holder(channelId)).toEqual({ holderId: 'b', token: 2 });
  });

  it('lets the lease expire when the holder stops renewing; the old holder can then neither renew nor release it', async () => {
    const channelId = newId();
    const a = leases('a', 50);
    const b = leases('b');
    const old = (await a.acquire(channelId))!;
    await eventually(async () => ((await env.redis.exists(a.leaseKey(channelId))) === 0 ? true : undefined), 2_000);
    const taken = (await b.acquire(channelId))!;
    expect(taken.token).toBeGreaterThan(old.token);
    expect(await a.renew(old)).toBe(false);
    await a.release(old);
    expect(await b.holder(channelId)).toEqual({ holderId: 'b', token: taken.token });
  });
});

describe('when Redis lost the fencing counter', () => {
  let wa: WhatsappHarness;

  beforeAll(async () => {
    wa = await startWhatsappHarness(env);
  });

  afterAll(async () => {
    await wa?.stop();
  });

  it('never takes a session with a token below the fence, and takes it next round with a higher one', async () => {
    const { channelId, socket } = await wa.connectChannel();
    await wa.open(channelId, socket);
    await wa.sql(`update whatsapp_sessions set fence_token = 41 where channel_id = :channelId`, { channelId });
    await wa.host.stop().catch(() => undefined);
    const again = await startWhatsappHarness(env);
    try {
      // Simulate a flushed Redis: no lease, counter back to zero.
      await env.redis.del(again.host.leases.leaseKey(channelId), `${env.config.redisPrefix}:wa:fence:${channelId}`);
      const sockets = again.fake.sockets.length;
      await again.host.tick();
      expect(again.host.channels()).not.toContain(channelId);
      expect(again.fake.sockets.length).toBe(sockets);
      await again.host.tick();
      expect(again.host.channels()).toContain(channelId);
      expect((await again.host.leases.holder(channelId))!.token).toBe(42);
    } finally {
      await again.stop();
    }
  });
});

describe('when Redis cannot be reached to renew a lease', () => {
  it('keeps the session within the TTL, then closes it, since another process may hold the number by then', async () => {
    const wa = await startWhatsappHarness(env);
    try {
      const { channelId, socket } = await wa.connectChannel();
      await wa.open(channelId, socket);
      wa.host.leases.renew = async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      };
      wa.advance(30_000);
      await wa.host.tick();
      expect(wa.host.channels()).toContain(channelId);
      wa.advance(31_000);
      await wa.host.tick();
      expect(wa.host.channels()).not.toContain(channelId);
      expect(socket.ended).toBe(true);
      expect(wa.hosted.has(channelId)).toBe(false);
    } finally {
      await wa.stop();
    }
  });
});

describe('when a paused holder wakes up after another process took its channel', () => {
  let first: WhatsappHarness;
  let second: WhatsappHarness;

  beforeAll(async () => {
    first = await startWhatsappHarness(env);
    second = await startWhatsappHarness(env);
  });

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
  });

  it('refuses its auth-state writes, closes its socket and leaves the keys to the new holder', async () => {
    const { channelId, socket } = await first.connectChannel();
    await first.open(channelId, socket);
    await eventually(async () =>
      (await first.sql(`select 1 from whatsapp_auth where channel_id = :channelId and type = 'creds'`, { channelId })).length
        ? true
        : undefined,
    );
    // The first holder "pauses": its lease runs out without a renewal; the second takes the channel.
    await env.redis.del(first.host.leases.leaseKey(channelId));
    await second.host.tick();
    expect(second.host.channels()).toContain(channelId);
    const newSocket = second.fake.last();
    await second.open(channelId, newSocket);

    // The old holder wakes and writes: refused by the fence, so it drops the session.
    const oldStore = new PostgresAuthStore({ orm: env.orm, secretKey: env.config.secretKey, channelId, fenceToken: 1 });
    await expect(oldStore.set({ session: { x: Buffer.from('stale') } })).rejects.toBeInstanceOf(StaleFenceError);
    socket.emit('creds.update', { lastPropHash: 'stale write' });
    await eventually(async () => (first.host.channels().includes(channelId) ? undefined : true));
    expect(socket.ended).toBe(true);
    expect(first.hosted.has(channelId)).toBe(false);
    expect(second.hosted.has(channelId)).toBe(true);
    // The new holder's keys are intact and readable.
    const newStore = new PostgresAuthStore({ orm: env.orm, secretKey: env.config.secretKey, channelId, fenceToken: 2 });
    expect((await newStore.readCreds())?.me?.id).toBe('15550009999:1@s.whatsapp.net');
    expect(await newStore.get('session', ['x'])).toEqual({});
  });
});
