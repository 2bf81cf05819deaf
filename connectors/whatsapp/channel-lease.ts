import type { Redis } from '../../platform/redis.ts';

/*
 * The lease value is "<holder>:<token>". The token comes from a per-channel counter that only
 * grows (INCR), so each new holder writes with a higher token than every earlier one, and the
 * auth store's fence (whatsapp_sessions.fence_token) refuses the writes of a paused old holder.
 */
const ACQUIRE_LUA = `
if redis.call('exists', KEYS[1]) == 1 then return 0 end
local token = redis.call('incr', KEYS[2])
redis.call('set', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return token`;
const RENEW_LUA = `
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0`;
const RAISE_FLOOR_LUA = `
if tonumber(redis.call('get', KEYS[1]) or '0') < tonumber(ARGV[1]) then redis.call('set', KEYS[1], ARGV[1]) end
return 1`;
const RELEASE_LUA = `
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`;

/** A lease this process holds on one channel's session. */
export interface HeldLease {
  channelId: string;
  token: number;
}

/**
 * Per-channel session leases in Redis: at most one holder per channel, for `ttlMs` after its last
 * renewal. A holder that stops renewing (killed, paused) loses the lease when the TTL runs out,
 * and another process may take it with a higher fencing token.
 */
export class ChannelLeases {
  constructor(private readonly deps: { redis: Redis; prefix: string; holderId: string; ttlMs: number }) {}

  leaseKey(channelId: string): string {
    return `${this.deps.prefix}:wa:lease:${channelId}`;
  }

  private fenceKey(channelId: string): string {
    return `${this.deps.prefix}:wa:fence:${channelId}`;
  }

  /** Takes the lease when nobody holds it; null when another holder does. */
  async acquire(channelId: string): Promise<HeldLease | null> {
    const token = Number(
      await this.deps.redis.eval(
        ACQUIRE_LUA,
        2,
        this.leaseKey(channelId),
        this.fenceKey(channelId),
        this.deps.holderId,
        String(this.deps.ttlMs),
      ),
    );
    return token > 0 ? { channelId, token } : null;
  }

  /** Extends the lease; false when it was lost (expired, or taken by another holder). */
  async renew(lease: HeldLease): Promise<boolean> {
    return (
      Number(await this.deps.redis.eval(RENEW_LUA, 1, this.leaseKey(lease.channelId), this.value(lease), String(this.deps.ttlMs))) === 1
    );
  }

  /** Gives the lease up so another process may take it at once (graceful shutdown). */
  async release(lease: HeldLease): Promise<void> {
    await this.deps.redis.eval(RELEASE_LUA, 1, this.leaseKey(lease.channelId), this.value(lease));
  }

  /**
   * Makes the next token higher than `floor` (the fence in Postgres), for when Redis lost the
   * counter (flushed, restored from an old snapshot) and handed out a token below the fence.
   */
  async raiseTokenFloor(channelId: string, floor: number): Promise<void> {
    await this.deps.redis.eval(RAISE_FLOOR_LUA, 1, this.fenceKey(channelId), String(floor));
  }

  /** Who holds the channel's lease, and with which token (for tests and health). */
  async holder(channelId: string): Promise<{ holderId: string; token: number } | null> {
    const value = await this.deps.redis.get(this.leaseKey(channelId));
    if (!value) return null;
    const at = value.lastIndexOf(':');
    return { holderId: value.slice(0, at), token: Number(value.slice(at + 1)) };
  }

  private value(lease: HeldLease): string {
    return `${this.deps.holderId}:${lease.token}`;
  }
}
