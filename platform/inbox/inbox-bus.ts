import type { Logger } from '../logger.ts';
import type { Redis } from '../redis.ts';
import type { InboxEvent } from './inbox-effects.ts';

type EventListener = (event: InboxEvent) => void;

/** Events published within one turn of the event loop, sent together at its end. */
interface PendingBatch {
  events: InboxEvent[];
  sent: Promise<void>;
}

/**
 * Live inbox traffic over Redis pub/sub, so that any process can serve an agent's stream and any
 * process can ask the workers to assign: one channel per workspace for events (subscribed only
 * while this process serves a stream of that workspace) and one for assignment kicks (subscribed
 * by processes that run the assigner). Pub/sub is fire-and-forget: a lost kick is caught by the
 * inbox reconciler's pass; a client that reconnects its stream reloads its lists.
 *
 * Events are published in batches: every event published during one turn of the event loop (the
 * resolves whose statements answered in the same poll, a pass's assignments) goes out at its end
 * as one message per workspace, a JSON array. A busy inbox publishes two events per resolve; one
 * message each cost every process a Redis command to send (with an ioredis pipeline object
 * around it) and every subscribed process a message to receive and parse (bench/README.md,
 * `routing`). Order is kept: the arrays are sent in the order the events were published.
 */
export class InboxBus {
  private subscriber: Redis | null = null;
  private readonly listeners = new Map<string, Set<EventListener>>();
  private kickListener: ((teamId: string) => void) | null = null;
  private pending: PendingBatch | null = null;

  constructor(private readonly deps: { redis: Redis; prefix: string; logger: Logger }) {}

  private eventsChannel(workspaceId: string): string {
    return `${this.deps.prefix}:inbox:events:${workspaceId}`;
  }

  private get kickChannel(): string {
    return `${this.deps.prefix}:inbox:kick`;
  }

  /** Publishes the events with the others of this turn of the event loop; resolves once they are sent. */
  publish(events: readonly InboxEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    if (!this.pending) {
      const batch: PendingBatch = { events: [], sent: Promise.resolve() };
      batch.sent = new Promise<void>((resolve, reject) =>
        setImmediate(() => {
          this.pending = null;
          this.send(batch.events).then(resolve, reject);
        }),
      );
      this.pending = batch;
    }
    this.pending.events.push(...events);
    return this.pending.sent;
  }

  private async send(events: readonly InboxEvent[]): Promise<void> {
    const byChannel = new Map<string, InboxEvent[]>();
    for (const e of events) {
      const channel = this.eventsChannel(e.workspaceId);
      const list = byChannel.get(channel);
      if (list) list.push(e);
      else byChannel.set(channel, [e]);
    }
    if (byChannel.size === 1) {
      // The usual case (one workspace): a plain PUBLISH, no pipeline object.
      for (const [channel, list] of byChannel) await this.deps.redis.publish(channel, JSON.stringify(list));
      return;
    }
    const pipeline = this.deps.redis.pipeline();
    for (const [channel, list] of byChannel) pipeline.publish(channel, JSON.stringify(list));
    await pipeline.exec();
  }

  async publishKicks(teamIds: Iterable<string>): Promise<void> {
    const pipeline = this.deps.redis.pipeline();
    let any = false;
    for (const teamId of teamIds) {
      pipeline.publish(this.kickChannel, teamId);
      any = true;
    }
    if (any) await pipeline.exec();
  }

  /** Receives the assignment kicks published by any process. */
  async onKick(listener: (teamId: string) => void): Promise<void> {
    this.kickListener = listener;
    await this.connection().subscribe(this.kickChannel);
  }

  /** Receives the workspace's events until the returned function is called. */
  async subscribe(workspaceId: string, listener: EventListener): Promise<() => Promise<void>> {
    const channel = this.eventsChannel(workspaceId);
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      await this.connection().subscribe(channel);
    }
    set.add(listener);
    return async () => {
      const current = this.listeners.get(channel);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) {
        this.listeners.delete(channel);
        await this.subscriber?.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  async stop(): Promise<void> {
    const s = this.subscriber;
    this.subscriber = null;
    if (s) await s.quit().catch(() => s.disconnect());
  }

  private connection(): Redis {
    if (this.subscriber) return this.subscriber;
    // A subscribed connection can run no other command, hence a connection of its own.
    const s = this.deps.redis.duplicate();
    s.on('error', (err) => this.deps.logger.warn({ err }, 'inbox pub/sub connection error'));
    s.on('message', (channel: string, payload: string) => {
      if (channel === this.kickChannel) {
        this.kickListener?.(payload);
        return;
      }
      const set = this.listeners.get(channel);
      if (!set) return;
      let events: InboxEvent[];
      try {
        const parsed = JSON.parse(payload) as InboxEvent | InboxEvent[];
        // An array from this version; one event per message from a process of an older one.
        events = Array.isArray(parsed) ? parsed : [parsed];
      } catch {
        return;
      }
      for (const event of events) for (const l of set) l(event);
    });
    this.subscriber = s;
    return s;
  }
}
