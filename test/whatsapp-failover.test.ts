import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../platform/ids.ts';
import { createRedis, type Redis } from '../platform/redis.ts';
import { PROCESS_READY_MS, ProcessCluster, type RoleProcess } from './support/process-cluster.ts';
import { eventually } from './support/eventually.ts';
import { TEST_REDIS_URL } from './support/test-env.ts';

/** Short, so that the takeover is quick to observe; renewals run every third of it. */
const LEASE_TTL_MS = 3_000;
/** Slack for a 2-core machine running other tests: the takeover happens at TTL + one lease round. */
const TAKEOVER_SLACK_MS = 4_000;

let cluster: ProcessCluster;
let redis: Redis;
const channels: string[] = [];

function connector(maxChannels: number): RoleProcess {
  return cluster.spawn('connector', {
    ONEMESSAGE_WA_FAKE_SOCKET: 'auto-open',
    WHATSAPP_LEASE_TTL_MS: String(LEASE_TTL_MS),
    WHATSAPP_MAX_CHANNELS_PER_PROCESS: String(maxChannels),
  });
}

/** The pid of the lease holder of each channel (holder ids start with the pid), and its token. */
async function holders(): Promise<{ channelId: string; pid: number | null; token: number | null }[]> {
  return Promise.all(
    channels.map(async (channelId) => {
      const value = await redis.get(`${cluster.redisPrefix}:wa:lease:${channelId}`);
      if (!value) return { channelId, pid: null, token: null };
      return { channelId, pid: Number(value.split('-')[0]), token: Number(value.slice(value.lastIndexOf(':') + 1)) };
    }),
  );
}

async function statuses(): Promise<string[]> {
  const rows = await cluster.sql<{ status: string }>(`select status from channels where id = any($1) order by id`, [channels]);
  return rows.map((r) => r.status);
}

beforeAll(async () => {
  cluster = await ProcessCluster.create();
  redis = createRedis(TEST_REDIS_URL);
  await cluster.startApi();
  const workspaceId = newId();
  await cluster.sql(`insert into workspaces (id, name) values ($1, 'Failover')`, [workspaceId]);
  for (let i = 0; i < 3; i++) {
    const channelId = newId();
    channels.push(channelId);
    await cluster.sql(`insert into channels (id, workspace_id, kind, name, status) values ($1, $2, 'whatsapp', $3, 'connecting')`, [
      channelId,
      workspaceId,
      `Phone ${i}`,
    ]);
    await cluster.sql(`insert into whatsapp_sessions (channel_id, desired, connect_requested_at) values ($1, true, now())`, [channelId]);
  }
}, PROCESS_READY_MS * 2);

afterAll(async () => {
  redis?.disconnect();
  await cluster?.cleanup();
});

describe('WhatsApp sessions across connector processes', () => {
  it('spreads channels under the per-process cap, and a survivor takes over the sessions of a SIGKILLed holder within the lease TTL', async () => {
    try {
      const first = connector(2);
      const held = await eventually(
        async () => {
          const h = await holders();
          return h.filter((x) => x.pid === first.pid).length === 2 ? h : undefined;
        },
        { timeoutMs: PROCESS_READY_MS, what: 'the first connector to take two channels (its cap)' },
      );
      // The cap leaves the third channel to another process.
      expect(held.filter((x) => x.pid === null)).toHaveLength(1);

      const second = connector(3);
      await eventually(async () => ((await holders()).every((x) => x.pid !== null) ? true : undefined), {
        timeoutMs: PROCESS_READY_MS,
        what: 'the second connector to take the third channel',
      });
      const before = await holders();
      expect(before.filter((x) => x.pid === second.pid)).toHaveLength(1);
      await eventually(async () => ((await statuses()).every((s) => s === 'connected') ? true : undefined), {
        timeoutMs: 20_000,
        what: 'every channel connected',
      });

      await cluster.stop(first, 'SIGKILL');
      const killedAt = Date.now();
      const after = await eventually(
        async () => {
          const h = await holders();
          return h.every((x) => x.pid === second.pid) ? h : undefined;
        },
        { timeoutMs: LEASE_TTL_MS + TAKEOVER_SLACK_MS, what: 'the survivor to hold every channel' },
      );
      expect(Date.now() - killedAt).toBeLessThan(LEASE_TTL_MS + TAKEOVER_SLACK_MS);
      // Each taken-over channel has a higher fencing token than its dead holder had.
      for (const old of before.filter((x) => x.pid === first.pid)) {
        expect(after.find((x) => x.channelId === old.channelId)!.token).toBeGreaterThan(old.token!);
      }
      await eventually(async () => ((await statuses()).every((s) => s === 'connected') ? true : undefined), {
        timeoutMs: 20_000,
        what: 'every channel connected again',
      });
      // The new holder raised the fence in Postgres to its token on takeover: the dead holder's writes would be refused.
      const fences = await cluster.sql<{ channel_id: string; fence_token: string }>(
        `select channel_id, fence_token from whatsapp_sessions where channel_id = any($1)`,
        [channels],
      );
      for (const f of fences) expect(Number(f.fence_token)).toBe(after.find((x) => x.channelId === f.channel_id)!.token);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${cluster.diagnostics()}`, { cause: err });
    }
  }, 200_000);
});
