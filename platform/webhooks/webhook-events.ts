import { performance } from 'node:perf_hooks';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { systemClock, type Clock } from '../../engine/clock.ts';
import type { WebhookEventInput, WebhookEventType } from '../../engine/webhooks/webhook-event-type.ts';
import type { Orm } from '../db/orm.ts';
import { newId } from '../ids.ts';
import type { Logger } from '../logger.ts';
import { IdRow, runSql } from '../pipeline/run-sql.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import type { Redis } from '../redis.ts';
import { deliveryJobOptions, WEBHOOK_QUEUE, type WebhookJobData } from './webhook-queue.ts';

/** A workspace's subscribed types are looked up again after this long even without a change signal (a lost pub/sub message). */
export const SUBSCRIPTIONS_TTL_MS = 60_000;
/** Workspaces whose subscriptions are cached per process, at most. */
const MAX_CACHED_WORKSPACES = 50_000;

const SUBSCRIBED_TYPES_SQL = `
select distinct unnest(event_types) as type from webhook_endpoints where workspace_id = :workspaceId and enabled`;
const SubscribedTypeRow = z.object({ type: z.string() });

/*
 * One statement records the events that an enabled endpoint of their workspace subscribes to,
 * and one pending delivery per (event, endpoint). Events no endpoint wants are not written. The
 * deliveries' foreign key to the event inserted by the CTE is checked at the end of the statement.
 */
const RECORD_EVENTS_SQL = `
with input as (
  select * from jsonb_to_recordset(cast(:events as jsonb))
    as e(id uuid, workspace_id uuid, type text, payload jsonb, contact_id uuid, conversation_id uuid)
), targets as (
  select e.id as event_id, e.workspace_id, ep.id as endpoint_id
    from input e join webhook_endpoints ep on ep.workspace_id = e.workspace_id and ep.enabled and e.type = any(ep.event_types)
), recorded as (
  insert into webhook_events (id, workspace_id, type, payload, contact_id, conversation_id, created_at)
  select e.id, e.workspace_id, e.type, e.payload, e.contact_id, e.conversation_id, cast(:now as timestamptz)
    from input e where e.id in (select event_id from targets)
  returning id
)
insert into webhook_deliveries (id, workspace_id, event_id, endpoint_id, status, next_attempt_at, created_at)
select gen_random_uuid(), t.workspace_id, t.event_id, t.endpoint_id, 'pending', cast(:now as timestamptz), cast(:now as timestamptz)
  from targets t join recorded r on r.id = t.event_id
returning id`;

interface CachedTypes {
  types: ReadonlySet<string>;
  loadedAt: number;
}

/** The process's webhook events, found from any entity manager of its ORM (see `emitEvents`). */
const hubs = new WeakMap<object, WebhookEvents>();

/**
 * Event webhooks' side of every process: which event types each workspace's endpoints subscribe
 * to (cached, so that an event nobody listens to costs no query), and the delivery jobs of the
 * events recorded in a transaction, enqueued once it commits.
 *
 * Why it rides on the ORM: the seven places that emit an event (the engine, the pipeline, the
 * inbox, broadcasts, consent, erasure) all hold an entity manager already; finding the hub
 * through it keeps each of them to one `emitEvents(em, …)` line, with no new constructor
 * parameter threaded through the hot path. It is still passed in, not global: `attach` binds
 * one hub to one ORM, at the composition root.
 *
 * Invalidation: a change of a workspace's endpoints (any process) publishes the workspace on
 * a Redis channel; every process drops its entry. A load that started before a change and
 * ends after its signal is not kept (`epoch`), and entries expire after SUBSCRIPTIONS_TTL_MS in
 * case a signal was lost (the subscriber reconnecting), and all at once on a reconnect.
 */
export class WebhookEvents {
  private readonly cache = new Map<string, CachedTypes>();
  private epoch = 0;
  private subscriber: Redis | null = null;
  /** Deliveries recorded in a transaction not yet committed, by its root transaction. */
  private readonly pending = new WeakMap<object, string[]>();

  /** `redis` null: a detached hub (see `of`), whose entries expire but hear of no change. */
  constructor(
    private readonly deps: { redis: Redis | null; prefix: string; queues: QueueFactory | null; logger: Logger | null; clock: Clock },
  ) {}

  /** Binds a hub to the ORM: `emitEvents` on any of its entity managers uses it, and its commits enqueue the deliveries. */
  static attach(orm: Orm, deps: ConstructorParameters<typeof WebhookEvents>[0]): WebhookEvents {
    const hub = new WebhookEvents(deps);
    hubs.set(orm.config, hub);
    orm.em.getEventManager().registerSubscriber({
      afterTransactionCommit: async (args) => {
        const ids = args.transaction ? hub.pending.get(args.transaction) : undefined;
        if (!ids) return;
        hub.pending.delete(args.transaction!);
        await hub.enqueue(ids);
      },
      afterTransactionRollback: (args) => {
        if (args.transaction) hub.pending.delete(args.transaction);
        return Promise.resolve();
      },
    });
    return hub;
  }

  /**
   * The hub bound to `em`'s ORM. An ORM opened without the runtime (a CLI command, a bench, a
   * test of another part) gets a detached one: its cache saves the per-event query all the same,
   * it hears of changes only when its entries expire (SUBSCRIPTIONS_TTL_MS), and it enqueues
   * nothing: the worker's webhook reconciler sends what it recorded.
   */
  static of(em: EntityManager): WebhookEvents {
    let hub = hubs.get(em.config);
    if (!hub) {
      hub = new WebhookEvents({ redis: null, prefix: '', queues: null, logger: null, clock: systemClock });
      hubs.set(em.config, hub);
    }
    return hub;
  }

  private get channel(): string {
    return `${this.deps.prefix}:webhooks:changed`;
  }

  /** Listens for changes made by other processes. */
  async start(): Promise<void> {
    if (this.subscriber || !this.deps.redis) return;
    const s = this.deps.redis.duplicate();
    s.on('error', (err) => this.deps.logger?.warn({ err }, 'webhook subscriptions pub/sub connection error'));
    s.on('message', (_channel: string, workspaceId: string) => this.forget(workspaceId));
    // Signals sent while disconnected are lost: forget everything when the connection is back.
    s.on('ready', () => this.forgetAll());
    this.subscriber = s;
    await s.subscribe(this.channel);
  }

  async stop(): Promise<void> {
    const s = this.subscriber;
    this.subscriber = null;
    if (s) await s.quit().catch(() => s.disconnect());
  }

  /** Call after a workspace's endpoints changed (created, edited, deleted, disabled), once committed. */
  async changed(workspaceId: string): Promise<void> {
    this.forget(workspaceId);
    await this.deps.redis?.publish(this.channel, workspaceId);
  }

  private forget(workspaceId: string): void {
    this.epoch++;
    this.cache.delete(workspaceId);
  }

  private forgetAll(): void {
    this.epoch++;
    this.cache.clear();
  }

  /** The workspace's subscribed types from the cache; undefined when they must be loaded. */
  cached(workspaceId: string): ReadonlySet<string> | undefined {
    const entry = this.cache.get(workspaceId);
    if (!entry) return undefined;
    if (performance.now() - entry.loadedAt > SUBSCRIPTIONS_TTL_MS) {
      this.cache.delete(workspaceId);
      return undefined;
    }
    return entry.types;
  }

  /** Loads and caches the workspace's subscribed types. */
  async load(em: EntityManager, workspaceId: string): Promise<ReadonlySet<string>> {
    const epoch = this.epoch;
    const types = await loadSubscribedTypes(em, workspaceId);
    if (epoch === this.epoch) {
      if (this.cache.size >= MAX_CACHED_WORKSPACES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(workspaceId, { types, loadedAt: performance.now() });
    }
    return types;
  }

  /** Enqueues delivery jobs (after commit). A failure is logged: the webhook reconciler finds the deliveries pending. */
  async enqueue(deliveryIds: readonly string[]): Promise<void> {
    if (!this.deps.queues || deliveryIds.length === 0) return;
    try {
      await this.deps.queues
        .queue<WebhookJobData>(WEBHOOK_QUEUE)
        .addBulk(deliveryIds.map((deliveryId) => ({ name: 'deliver', data: { deliveryId }, opts: deliveryJobOptions(deliveryId) })));
    } catch (err) {
      this.deps.logger?.warn({ err, deliveries: deliveryIds.length }, 'could not enqueue webhook deliveries; the webhook reconciler will');
    }
  }

  /** Keeps deliveries recorded in `transaction` until it commits. */
  defer(transaction: object, deliveryIds: readonly string[]): void {
    const root = rootTransaction(transaction);
    const list = this.pending.get(root);
    if (list) list.push(...deliveryIds);
    else this.pending.set(root, [...deliveryIds]);
  }

  get now(): Date {
    return this.deps.clock.now();
  }
}

async function loadSubscribedTypes(em: EntityManager, workspaceId: string): Promise<ReadonlySet<string>> {
  const { rows } = await runSql(em, SUBSCRIBED_TYPES_SQL, { workspaceId }, { row: SubscribedTypeRow });
  return new Set(rows.map((r) => r.type));
}

/*
 * A nested `em.transactional` runs in a savepoint whose knex transaction names its parent under
 * MikroORM's `parentTransaction` symbol; commit hooks run for the root only, so pending
 * deliveries are kept under the root. (Were the symbol ever renamed, deliveries of nested
 * transactions would wait for the webhook reconciler instead: late, never lost.)
 */
function rootTransaction(trx: object): object {
  let current = trx;
  for (;;) {
    const parent = Object.getOwnPropertySymbols(current).find((s) => s.description === 'parentTransaction');
    if (!parent) return current;
    current = (current as Record<symbol, object>)[parent]!;
  }
}

/**
 * Records events for the webhook endpoints that subscribe to them, in `em`'s transaction when it
 * has one (the deliveries are enqueued once it commits; a rollback drops them with the change),
 * else at once. An event whose workspace has no endpoint for its type costs nothing but a
 * lookup in the process's cache. The one way any part of the product emits an event.
 */
export async function emitEvents(em: EntityManager, events: readonly WebhookEventInput[]): Promise<void> {
  if (events.length === 0) return;
  const hub = WebhookEvents.of(em);
  const wanted: WebhookEventInput[] = [];
  for (const event of events) {
    const types = hub.cached(event.workspaceId) ?? (await hub.load(em, event.workspaceId));
    if (types.has(event.type)) wanted.push(event);
  }
  if (wanted.length === 0) return;
  const now = hub.now;
  const rows = wanted.map((e) => ({
    id: newId(),
    workspace_id: e.workspaceId,
    type: e.type,
    payload: { type: e.type, timestamp: now.toISOString(), data: e.data },
    contact_id: e.contactId ?? null,
    conversation_id: e.conversationId ?? null,
  }));
  const { rows: deliveries } = await runSql(em, RECORD_EVENTS_SQL, { events: JSON.stringify(rows), now }, { row: IdRow });
  if (deliveries.length === 0) return;
  const ids = deliveries.map((d) => d.id);
  const trx = em.getTransactionContext<object>();
  if (trx) hub.defer(trx, ids);
  else await hub.enqueue(ids);
}

/** Records one event (see emitEvents). */
export function emitEvent(em: EntityManager, event: WebhookEventInput): Promise<void> {
  return emitEvents(em, [event]);
}

export type { WebhookEventType };
