import { randomUUID } from 'node:crypto';
import type { Clock } from '../../engine/clock.ts';
import type {
  ChannelConnector,
  OutboundSend,
  ProviderStatusUpdate,
  SendHandOver,
  SendReceipt,
} from '../../engine/ports/channel-connector.port.ts';
import type { InboundSink } from '../../engine/ports/inbound-message.ts';
import type { Orm } from '../../platform/db/orm.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Redis } from '../../platform/redis.ts';
import { ChannelEvents, parseJson } from './channel-event-bus.ts';
import { ChannelLeases, type HeldLease } from './channel-lease.ts';
import type { MediaFetcher } from './guarded-media-fetch.ts';
import type { MediaStore } from './media-store.ts';
import { realSleep, type Sleep } from './pacer.ts';
import { RedisSendLog } from './redis-send-log.ts';
import { SentContentStore } from './sent-content.store.ts';
import { commandTopic, SessionCommandSchema, type SessionCommand } from './session-commands.ts';
import { SessionNotReadyError } from './whatsapp-send.errors.ts';
import { realSchedule, WhatsappSession, type Schedule } from './whatsapp-session.ts';
import { claimSession, desiredChannels, sessionFence } from './whatsapp-sessions.sql.ts';
import type { WaSocketFactory } from './whatsapp-socket.port.ts';

/** Default lease TTL: a dead holder's channels move to another process within this time. */
export const DEFAULT_LEASE_TTL_MS = 15_000;
/*
 * A process that already holds channels waits this long per held channel before trying to take
 * a free one, so a process with fewer sessions usually wins: channels spread across processes.
 */
const SPREAD_DELAY_PER_HELD_MS = 150;
/** How often a process prunes old sent content (every process does; the delete is idempotent). */
const PRUNE_EVERY_MS = 60 * 60_000;

/** The send worker, as the host sees it: a channel's sends run only where its session is. */
export interface SendGate {
  hostChannel(channelId: string): Promise<void>;
  releaseChannel(channelId: string): Promise<void>;
}

export interface WhatsappHostDeps {
  orm: Orm;
  redis: Redis;
  prefix: string;
  secretKey: Buffer;
  socketFactory: WaSocketFactory;
  inbound: InboundSink;
  statuses: { apply(update: ProviderStatusUpdate): Promise<boolean> };
  media: MediaStore;
  fetchMedia: MediaFetcher;
  mediaMaxBytes: number;
  leaseTtlMs: number;
  /** At most this many sessions in this process. */
  maxChannels: number;
  clock: Clock;
  logger: Logger;
  sleep?: Sleep;
  schedule?: Schedule;
  random?: () => number;
  holderId?: string;
}

/**
 * The WhatsApp side of a connector process: takes leases on channels that want a session (up to
 * `maxChannels`), runs a WhatsappSession for each, renews the leases every third of the TTL, and
 * drops a session at once when its lease is lost or its fence is stale. It is also the
 * ChannelConnector for whatsapp channels: a send goes to the session held here.
 */
export class WhatsappHost implements ChannelConnector {
  readonly kind = 'whatsapp' as const;
  readonly holderId: string;
  readonly leases: ChannelLeases;
  private readonly events: ChannelEvents;
  private readonly sentContent: SentContentStore;
  private readonly held = new Map<string, { lease: HeldLease; session: WhatsappSession; renewedAtMs: number }>();
  private subscriber: Redis | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;
  private lastPruneMs = 0;
  private sendGate: SendGate | null = null;
  private readonly log: Logger;

  constructor(private readonly deps: WhatsappHostDeps) {
    this.holderId = deps.holderId ?? `${process.pid}-${randomUUID().slice(0, 8)}`;
    this.leases = new ChannelLeases({ redis: deps.redis, prefix: deps.prefix, holderId: this.holderId, ttlMs: deps.leaseTtlMs });
    this.events = new ChannelEvents({ redis: deps.redis, prefix: deps.prefix });
    this.sentContent = new SentContentStore({ orm: deps.orm, secretKey: deps.secretKey });
    this.log = deps.logger.child({ connector: 'whatsapp', holder: this.holderId });
  }

  /**
   * Listens for session commands, takes what it can, then keeps leases renewed. The send worker
   * comes here rather than in the constructor because it is built with this host registered in it.
   */
  async start(sendGate: SendGate): Promise<void> {
    this.sendGate = sendGate;
    const sub = this.deps.redis.duplicate();
    this.subscriber = sub;
    sub.on('error', (err) => this.log.warn({ err }, 'whatsapp command subscriber error'));
    sub.on('message', (_topic: string, raw: string) => {
      const parsed = SessionCommandSchema.safeParse(parseJson(raw));
      if (!parsed.success) return this.log.warn({ issues: parsed.error.issues }, 'invalid whatsapp session command ignored');
      this.onCommand(parsed.data).catch((err: unknown) => this.log.error({ err, command: parsed.data }, 'whatsapp session command failed'));
    });
    await sub.subscribe(commandTopic(this.deps.prefix));
    await this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(200, Math.floor(this.deps.leaseTtlMs / 3)));
    this.timer.unref();
  }

  /** Ends every session here and gives their leases up, so other processes take them at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    await this.subscriber?.quit().catch(() => undefined);
    await Promise.all([...this.held.keys()].map((id) => this.drop(id, /* release= */ true)));
  }

  /** The channels whose session runs here (health, tests). */
  channels(): string[] {
    return [...this.held.keys()];
  }

  /** The session of a channel held here (tests). */
  session(channelId: string): WhatsappSession | undefined {
    return this.held.get(channelId)?.session;
  }

  async send(message: OutboundSend, handOver?: SendHandOver): Promise<SendReceipt> {
    const entry = this.held.get(message.channelId);
    if (!entry) throw new SessionNotReadyError(message.channelId, 'not held by this process');
    return entry.session.send(message, handOver);
  }

  /** One round: renew what is held, then take free channels up to the cap. Rounds never overlap. */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.round()
      .catch((err: unknown) => this.log.error({ err }, 'whatsapp lease round failed'))
      .finally(() => {
        this.ticking = null;
      });
    return this.ticking;
  }

  private async round(): Promise<void> {
    for (const [channelId, entry] of this.held) {
      const now = this.deps.clock.now().getTime();
      let renewed: boolean;
      try {
        renewed = await this.leases.renew(entry.lease);
      } catch (err) {
        // Redis unreachable: the lease may expire meanwhile and another process take the number.
        // Past the TTL without a renewal, this process must assume it has, and let go.
        if (now - entry.renewedAtMs <= this.deps.leaseTtlMs) {
          this.log.warn({ err, channelId }, 'whatsapp lease renewal failed; retrying next round');
          continue;
        }
        this.log.error({ err, channelId }, 'whatsapp lease not renewed within its TTL; closing the session here');
        renewed = false;
      }
      if (renewed) {
        entry.renewedAtMs = now;
        continue;
      }
      this.log.warn({ channelId }, 'whatsapp lease lost; closing the session here');
      await this.drop(channelId, /* release= */ false);
    }
    await this.pruneSentContent();
    if (this.stopped || this.held.size >= this.deps.maxChannels) return;
    const wanted = (await desiredChannels(this.deps.orm.em.fork())).filter((id) => !this.held.has(id));
    if (wanted.length === 0) return;
    if (this.held.size > 0) await (this.deps.sleep ?? realSleep)(this.held.size * SPREAD_DELAY_PER_HELD_MS);
    for (const channelId of wanted) {
      if (this.stopped || this.held.size >= this.deps.maxChannels) return;
      const lease = await this.leases.acquire(channelId);
      if (lease) await this.host(lease);
    }
  }

  private async pruneSentContent(): Promise<void> {
    const now = this.deps.clock.now();
    if (now.getTime() - this.lastPruneMs < PRUNE_EVERY_MS) return;
    this.lastPruneMs = now.getTime();
    const deleted = await this.sentContent.prune(now);
    if (deleted) this.log.info({ deleted }, 'pruned old whatsapp sent content');
  }

  private async host(lease: HeldLease): Promise<void> {
    const { channelId } = lease;
    if (!(await claimSession(this.deps.orm.em.fork(), channelId, lease.token))) {
      // Redis lost the fencing counter (flushed, failed over): never write under a lower token.
      // Raise the counter past the fence, so that the next round takes the channel with a valid one.
      const fence = await sessionFence(this.deps.orm.em.fork(), channelId);
      this.log.error(
        { channelId, token: lease.token, fence },
        'whatsapp lease token is older than the session fence; raising the counter and retrying next round',
      );
      await this.leases.raiseTokenFloor(channelId, fence);
      await this.leases.release(lease);
      return;
    }
    const session = new WhatsappSession({
      channelId,
      fenceToken: lease.token,
      orm: this.deps.orm,
      secretKey: this.deps.secretKey,
      socketFactory: this.deps.socketFactory,
      inbound: this.deps.inbound,
      statuses: this.deps.statuses,
      events: this.events,
      media: this.deps.media,
      fetchMedia: this.deps.fetchMedia,
      sendLog: new RedisSendLog(this.deps.redis, `${this.deps.prefix}:wa:sends:${channelId}`),
      sentContent: this.sentContent,
      mediaMaxBytes: this.deps.mediaMaxBytes,
      clock: this.deps.clock,
      sleep: this.deps.sleep ?? realSleep,
      schedule: this.deps.schedule ?? realSchedule,
      random: this.deps.random ?? Math.random,
      logger: this.log,
      onFenced: (id) =>
        void this.drop(id, /* release= */ false).catch((err: unknown) =>
          this.log.error({ err, channelId: id }, 'could not drop a fenced-off session'),
        ),
    });
    this.held.set(channelId, { lease, session, renewedAtMs: this.deps.clock.now().getTime() });
    // `fence`, not `token`: the logger redacts secret-looking keys, and a fencing number is no secret.
    this.log.info({ channelId, fence: lease.token }, 'whatsapp session taken');
    try {
      await session.start();
      await this.sendGate?.hostChannel(channelId);
    } catch (err) {
      this.log.error({ err, channelId }, 'whatsapp session failed to start; giving the lease up');
      await this.drop(channelId, /* release= */ true);
    }
  }

  private async drop(channelId: string, release: boolean): Promise<void> {
    const entry = this.held.get(channelId);
    if (!entry) return;
    this.held.delete(channelId);
    await this.sendGate
      ?.releaseChannel(channelId)
      .catch((err: unknown) => this.log.warn({ err, channelId }, 'could not stop the send worker'));
    await entry.session.stop();
    if (release) await this.leases.release(entry.lease).catch(() => undefined);
  }

  private async onCommand(command: SessionCommand): Promise<void> {
    const entry = this.held.get(command.channelId);
    if (command.action === 'reload_settings') return entry?.session.reloadSettings();
    if (command.action === 'logout') {
      if (!entry) return;
      await entry.session.logout();
      await this.drop(command.channelId, /* release= */ true);
      return;
    }
    // connect: restart a held session (a new QR or pairing code), or try to take it now.
    if (entry) {
      await this.drop(command.channelId, /* release= */ false);
      await this.host(entry.lease);
    } else {
      await this.tick();
    }
  }
}
