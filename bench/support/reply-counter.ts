import { QueueEvents } from 'bullmq';
import { createRedis, type Redis } from '../../platform/redis.ts';
import { sendQueueName } from '../../platform/pipeline/send-job.ts';

/**
 * Messages a completed send job sent: a single send answers 'sent' ('already-handled' and
 * 'missing' are repeats of a message counted before); a batch send job answers its counts
 * (BatchSendResult), and what it handed off is counted when its own single job completes.
 */
function sentBy(returnvalue: unknown): number {
  let value = returnvalue;
  if (typeof value === 'string' && value.startsWith('{')) value = JSON.parse(value) as unknown;
  if (value === 'sent') return 1;
  if (typeof value === 'object' && value !== null && 'sent' in value && typeof value.sent === 'number') return value.sent;
  return 0;
}

/**
 * Counts replies as the sandbox channel sends them, from the send queue's BullMQ event stream
 * (a job completes right after the worker has recorded its messages `sent`). The product is not
 * touched: QueueEvents reads the stream BullMQ writes anyway, on a connection of its own.
 */
export class ReplyCounter {
  private sent = 0;
  private failed = 0;
  private readonly listeners = new Set<(replies: number) => void>();

  private constructor(
    private readonly events: QueueEvents[],
    private readonly connections: Redis[],
  ) {
    for (const queueEvents of events) {
      queueEvents.on('completed', ({ returnvalue }) => {
        const sent = sentBy(returnvalue);
        if (sent === 0) return;
        this.sent += sent;
        for (const listener of this.listeners) listener(sent);
      });
      queueEvents.on('failed', () => {
        this.failed += 1;
      });
    }
  }

  /** Listens to the send queues of `channelIds` (a blocking connection each). */
  static async open(redisUrl: string, prefix: string, channelIds: string[]): Promise<ReplyCounter> {
    const connections = channelIds.map(() => createRedis(redisUrl));
    const events = channelIds.map((channelId, i) => new QueueEvents(sendQueueName(channelId), { connection: connections[i]!, prefix }));
    await Promise.all(events.map((e) => e.waitUntilReady()));
    return new ReplyCounter(events, connections);
  }

  /** Replies sent since the counter opened. */
  get count(): number {
    return this.sent;
  }

  /** Send jobs that failed since the counter opened (a healthy run has none). */
  get failures(): number {
    return this.failed;
  }

  /** Calls `listener` after every completed send job with the replies it sent; returns a function that stops it. */
  onReply(listener: (replies: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once `count` reaches `target`; rejects when no reply arrives for `stallMs`. */
  waitFor(target: number, stallMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let last = this.sent;
      let lastProgressAt = Date.now();
      const check = () => {
        if (this.sent >= target) return finish(null);
        if (this.sent !== last) {
          last = this.sent;
          lastProgressAt = Date.now();
        } else if (Date.now() - lastProgressAt > stallMs) {
          finish(new Error(`no reply for ${stallMs} ms: ${this.sent} of ${target} replies sent, ${this.failed} send jobs failed`));
        }
      };
      const timer = setInterval(check, 50);
      const off = this.onReply(() => {
        if (this.sent >= target) finish(null);
      });
      const finish = (err: Error | null) => {
        clearInterval(timer);
        off();
        if (err) reject(err);
        else resolve();
      };
      check();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.events.map((e) => e.close()));
    for (const connection of this.connections) connection.disconnect();
  }
}
