import type { Job, Worker } from 'bullmq';
import { z } from 'zod';
import { CHANNEL_KINDS, type ChannelKind } from '../../engine/channels/channel-kind.ts';
import type { Clock } from '../../engine/clock.ts';
import type { UsageMeter } from '../billing/usage-meter.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import type { QueueFactory } from '../queues/queue-factory.ts';
import type { Redis } from '../redis.ts';
import type { ConnectorRegistry } from './connector-registry.ts';
import { runSql } from './run-sql.ts';
import { SendMessageProcessor } from './send-message.processor.ts';
import { sendQueueName, type SendBatchJobData, type SendJobData, type SendRetryPolicy } from './send-job.ts';
import { BatchSender } from './batch-sender.ts';
import { BroadcastBatchProcessor } from '../broadcasts/broadcast-batch.processor.ts';
import { broadcastSendQueueName, type BroadcastBatchJobData } from '../broadcasts/broadcast-queues.ts';

/*
 * Broadcast batches of one channel handled at once in a process. One: a batch already sends
 * several messages at once (the channel's sends in flight), and a second batch in parallel buys
 * send rate at the expense of everything else sharing the CPU and the database. Measured with
 * `npm run bench -- broadcast` (50,000 recipients, 20 auto-replies/s on another channel): 150 per
 * batch, one in flight: 2,470 sent/s, auto-reply p99 157 ms; two in flight (500 per batch): 3,200/s
 * but auto-reply p99 438 ms.
 */
const BROADCAST_BATCHES_IN_FLIGHT = 1;
/*
 * Provider calls a batch (a broadcast batch, or a batch send job) has in flight at once, at most
 * (fewer when the channel allows fewer). Measured with `npm run bench -- broadcast`, 2 runs each:
 * the sandbox at 64 sends in flight everywhere, PostgreSQL 0.69-0.70 ms per broadcast message and
 * 3,900-4,100 sent/s; at 16 everywhere, 0.56-0.61 ms and 4,500-4,750/s; batches capped at 16 with
 * single sends at 64, 0.66-0.69 ms and 4,200/s.
 */
const SENDS_IN_FLIGHT_PER_BATCH = 16;
/*
 * A batch takes well under a second unpaced, and its lock is renewed while a paced one sends; a
 * batch whose process died is taken over after about this long (BullMQ's default is 30 s twice).
 */
const BROADCAST_BATCH_LOCK_MS = 10_000;
const BROADCAST_BATCH_STALLED_CHECK_MS = 5_000;

/** The two workers of a channel: its send queue and its broadcast batches. */
interface ChannelWorkers {
  send: Worker;
  batches: Worker;
}

const LIVE_CHANNELS_SQL = `select id, kind from channels where deleted_at is null`;
const CHANNEL_SQL = `select id, kind from channels where id = :channelId and deleted_at is null`;
/** A live channel, as both statements answer it. */
const LiveChannelRow = z.object({ id: z.string(), kind: z.enum(CHANNEL_KINDS) });

/**
 * Runs BullMQ workers on `send-<channelId>` (single sends, SendMessageProcessor, and batch sends,
 * BatchSender) and `broadcast-send-<channelId>` (broadcast batches, see BroadcastBatchProcessor)
 * for every live channel whose kind has a connector in this process.
 *
 * Channels created later: the API calls `channelAdded`, which starts the worker here and
 * publishes the channel id on the Redis pub/sub channel `<prefix>:channels`; every SendWorker
 * subscribes to it and starts its own worker. Pub/sub is fire-and-forget (a process that is
 * down misses the message), which is enough because each process loads every live channel at
 * `start`, and a send dispatched before a worker exists simply waits in its queue.
 */
export class SendWorker {
  private readonly processor: SendMessageProcessor;
  private readonly sender: BatchSender;
  private readonly batches: BroadcastBatchProcessor;
  private readonly workers = new Map<string, Promise<ChannelWorkers | null>>();
  /** Channels of `hostedByLease` kinds whose lease this process holds: only these get a worker. */
  private readonly hosted = new Set<string>();
  private subscriber: Redis | null = null;
  private stopped = false;

  constructor(
    private readonly deps: {
      orm: Orm;
      queues: QueueFactory;
      redis: Redis;
      connectors: ConnectorRegistry;
      logger: Logger;
      clock: Clock;
      meter?: UsageMeter;
      /** The retries of the send jobs a batch hands messages to: the Outbox's policy (both default to DEFAULT_SEND_RETRY). */
      retry?: SendRetryPolicy;
    },
  ) {
    this.processor = new SendMessageProcessor(deps);
    this.sender = new BatchSender(deps);
    this.batches = new BroadcastBatchProcessor({ ...deps, sender: this.sender });
  }

  /** The Redis pub/sub channel that announces new channels to every process. */
  get announcements(): string {
    return `${this.deps.queues.prefix}:channels`;
  }

  /** Subscribes to channel announcements, then starts a worker for every live channel. */
  async start(): Promise<void> {
    // A subscribed connection can run no other command, hence a connection of its own.
    const subscriber = this.deps.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('message', (topic: string, channelId: string) => {
      if (topic !== this.announcements) return;
      this.ensureWorker(channelId).catch((err: unknown) =>
        this.deps.logger.error({ err, channelId }, 'could not start a send worker for an announced channel'),
      );
    });
    await subscriber.subscribe(this.announcements);
    const { rows } = await runSql(this.deps.orm.em.fork(), LIVE_CHANNELS_SQL, {}, { row: LiveChannelRow });
    await Promise.all(rows.map((row) => this.ensureWorker(row.id, row.kind)));
  }

  /** Starts sending for a new channel here, and tells the other processes to do the same. */
  async channelAdded(channelId: string): Promise<void> {
    await this.ensureWorker(channelId);
    await this.deps.redis.publish(this.announcements, channelId);
  }

  /** Starts sending for a `hostedByLease` channel whose lease this process has just taken. */
  async hostChannel(channelId: string): Promise<void> {
    this.hosted.add(channelId);
    // An earlier announcement may have left a "no worker here" entry; start afresh.
    if ((await this.workers.get(channelId)) === null) this.workers.delete(channelId);
    await this.ensureWorker(channelId);
  }

  /** Stops sending for a channel whose lease this process lost or gave up (the in-flight send finishes). */
  async releaseChannel(channelId: string): Promise<void> {
    this.hosted.delete(channelId);
    const worker = this.workers.get(channelId);
    this.workers.delete(channelId);
    await closeChannelWorkers(await worker);
  }

  /** Stops listening for channels and closes this class's workers, letting in-flight sends finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.subscriber) {
      await this.subscriber.quit().catch(() => undefined);
      this.subscriber = null;
    }
    const workers = await Promise.all(this.workers.values());
    await Promise.all(workers.map(closeChannelWorkers));
  }

  /** The ids of channels this process sends for (for health and tests). */
  async activeChannels(): Promise<string[]> {
    const entries = await Promise.all([...this.workers].map(async ([id, w]) => ((await w) ? id : null)));
    return entries.filter((id): id is string => id !== null);
  }

  private ensureWorker(channelId: string, kind?: ChannelKind): Promise<ChannelWorkers | null> {
    let worker = this.workers.get(channelId);
    if (!worker) {
      worker = this.startWorker(channelId, kind);
      this.workers.set(channelId, worker);
      // A failed start (database down) may be retried by a later announcement or restart.
      worker.catch(() => this.workers.delete(channelId));
    }
    return worker;
  }

  private async startWorker(channelId: string, knownKind?: ChannelKind): Promise<ChannelWorkers | null> {
    const kind = knownKind ?? (await runSql(this.deps.orm.em.fork(), CHANNEL_SQL, { channelId }, { row: LiveChannelRow })).rows[0]?.kind;
    const registered = kind === undefined ? undefined : this.deps.connectors.get(kind);
    if (this.stopped || kind === undefined || !registered) {
      if (kind !== undefined)
        this.deps.logger.debug({ channelId, kind }, 'no connector for this channel kind in this process; not sending for it');
      return null;
    }
    if (registered.hostedByLease && !this.hosted.has(channelId)) return null;
    const name = sendQueueName(channelId);
    // BullMQ's global concurrency bounds the channel's sends in flight across every process.
    const queue = this.deps.queues.queue<SendJobData>(name);
    await queue.setGlobalConcurrency(registered.sendsInFlightPerChannel);
    // A batch send job (the replies of a drain batch) takes one of the channel's slots and sends its
    // messages at most SENDS_IN_FLIGHT_PER_BATCH at once, never more than the channel allows. It
    // claims them all at once only when a crash mid-batch cannot put them in doubt (see BatchSender.send).
    const batchSends = Math.min(SENDS_IN_FLIGHT_PER_BATCH, registered.sendsInFlightPerChannel);
    const claimAtOnce = registered.deduplicatesSends || registered.marksHandOver ? undefined : batchSends;
    const worker = this.deps.queues.worker<SendJobData | SendBatchJobData>(
      name,
      (job, token) =>
        'messageIds' in job.data
          ? this.sender.send(job.data.messageIds, queue, batchSends, claimAtOnce)
          : this.processor.process(job as Job<SendJobData>, token, queue),
      { concurrency: registered.sendsInFlightPerChannel },
    );
    worker.on('failed', (job, err) =>
      this.deps.logger.warn({ err, channelId, jobId: job?.id, data: job?.data, attemptsMade: job?.attemptsMade }, 'send job failed'),
    );
    worker.on('error', (err) => this.deps.logger.error({ err, channelId }, 'send worker error'));
    const batchQueue = this.deps.queues.queue<BroadcastBatchJobData>(broadcastSendQueueName(channelId));
    const batches = this.deps.queues.worker<BroadcastBatchJobData>(
      broadcastSendQueueName(channelId),
      (job, token) =>
        this.batches.process(
          job,
          token,
          { own: batchQueue, send: queue },
          Math.min(SENDS_IN_FLIGHT_PER_BATCH, registered.sendsInFlightPerChannel),
        ),
      {
        concurrency: Math.min(BROADCAST_BATCHES_IN_FLIGHT, registered.sendsInFlightPerChannel),
        lockDuration: BROADCAST_BATCH_LOCK_MS,
        stalledInterval: BROADCAST_BATCH_STALLED_CHECK_MS,
      },
    );
    batches.on('failed', (job, err) =>
      this.deps.logger.warn({ err, channelId, data: job?.data, attemptsMade: job?.attemptsMade }, 'broadcast batch job failed'),
    );
    batches.on('error', (err) => this.deps.logger.error({ err, channelId }, 'broadcast batch worker error'));
    this.deps.logger.info({ channelId, kind }, 'send worker started');
    return { send: worker, batches };
  }
}

async function closeChannelWorkers(workers: ChannelWorkers | null | undefined): Promise<void> {
  if (workers) await Promise.all([workers.send.close(), workers.batches.close()]);
}
