import { UnavailableError } from '../../engine/errors/app-error.ts';
import { InvariantError } from '../../engine/errors/invariant.error.ts';
import type { Logger } from '../logger.ts';

/**
 * What a batch did for one key (a conversation to drain, a timer to fire): finished with it; it
 * has more to do (it goes into a later batch); it must be handled alone (its work may wait on an
 * outside system); or another holder has its lock and it is to be retried later (its request
 * rejects with an UnavailableError, so that its job retries).
 */
export type BatchVerdict = 'done' | 'again' | 'alone' | 'busy';

/** Runs one batch; answers a verdict for every key of the batch, or throws (see DrainBatcher). */
export type BatchRunner = (keys: string[]) => Promise<Map<string, BatchVerdict>>;

/** Handles one key alone, when its batch failed: resolves when it is done, throws its failure. */
export type AloneRunner = (key: string) => Promise<void>;

export interface DrainBatcherLimits {
  /** Keys in one batch at most. */
  maxBatch: number;
  /** Batches running at once at most. */
  batchesInFlight: number;
  /**
   * While a batch runs, another starts only once this many keys wait (default 1: at once). Under a
   * light load the keys that arrive meanwhile then share the next batch instead of each taking a
   * batch of their own; under a heavy one the batches still overlap.
   */
  moreBatchesFrom?: number;
  /**
   * How long keys wait at most for a running batch (see moreBatchesFrom) before another batch
   * starts for them anyway: a batch held up (a row lock, a slow statement) does not hold them up
   * too. Default: no bound.
   */
  moreBatchesAfterMs?: number;
}

interface Request {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Coalesces the requests of one process ("drain conversation C", "fire timer T") into batches:
 * keys asked for while batches are in flight are handled together by the next one (a group
 * commit: one transaction and a few statements for all of them instead of several per key).
 *
 * - A key asked for again while it waits or is in a batch shares that request: the batch's
 *   holder drains everything its conversation has (see ConversationDrain).
 * - `again` puts the key back for the next batch, with the same request.
 * - `alone` hands it to `runAlone`, outside the batches in flight: a slow conversation never
 *   holds a batch slot.
 * - `busy` rejects its request with an UnavailableError: another process holds its lock and its
 *   job retries later (timers; a drain's busy conversation is `done`, its holder drains it).
 * - A batch that throws is not retried as a batch: each of its conversations is handled alone,
 *   so that one failing message fails only its own conversation's request (its job retries). The
 *   batch's error is logged: the alone runs may all succeed, and it would otherwise leave no trace.
 * - A batch that answers no verdict for one of its conversations is a bug: that conversation's
 *   request fails with an InvariantError (its drain job retries it) instead of passing as drained.
 */
export class DrainBatcher {
  private readonly waiting = new Map<string, Request>();
  private readonly inBatch = new Map<string, Request>();
  private running = 0;
  /** Set while keys wait for a running batch (moreBatchesAfterMs): starts a batch for them when it fires. */
  private waitBound: NodeJS.Timeout | null = null;

  constructor(
    private readonly runBatch: BatchRunner,
    private readonly runAlone: AloneRunner,
    private readonly limits: DrainBatcherLimits,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  /** Resolves once the conversation has been drained here (or found held by another process). */
  request(conversationId: string): Promise<void> {
    const existing = this.waiting.get(conversationId) ?? this.inBatch.get(conversationId);
    if (existing) return existing.promise;
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.waiting.set(conversationId, { promise, resolve, reject });
    this.startBatches();
    return promise;
  }

  private startBatches(waitedLongEnough = false): void {
    const { batchesInFlight, moreBatchesFrom = 1, moreBatchesAfterMs } = this.limits;
    while (this.running < batchesInFlight && this.waiting.size > 0) {
      if (this.running > 0 && this.waiting.size < moreBatchesFrom && !waitedLongEnough) {
        // They go with the next batch, or when the bound has passed.
        if (moreBatchesAfterMs !== undefined && this.waitBound === null)
          this.waitBound = setTimeout(() => {
            this.waitBound = null;
            this.startBatches(true);
          }, moreBatchesAfterMs).unref();
        return;
      }
      waitedLongEnough = false;
      if (this.waitBound !== null) {
        clearTimeout(this.waitBound);
        this.waitBound = null;
      }
      const batch = new Map<string, Request>();
      for (const [id, request] of this.waiting) {
        if (batch.size >= this.limits.maxBatch) break;
        batch.set(id, request);
      }
      for (const [id, request] of batch) {
        this.waiting.delete(id);
        this.inBatch.set(id, request);
      }
      this.running++;
      void this.run(batch).finally(() => {
        this.running--;
        this.startBatches();
      });
    }
  }

  private async run(batch: Map<string, Request>): Promise<void> {
    const ids = [...batch.keys()];
    let verdicts: Map<string, BatchVerdict>;
    try {
      verdicts = await this.runBatch(ids);
    } catch (err) {
      this.logger.warn({ err, conversationIds: ids }, 'a drain batch failed; each of its conversations is drained alone');
      await Promise.all(ids.map((id) => this.alone(id, batch.get(id)!)));
      return;
    }
    for (const [id, request] of batch) {
      const verdict = verdicts.get(id);
      if (verdict === 'alone') {
        void this.alone(id, request);
        continue;
      }
      this.inBatch.delete(id);
      if (verdict === undefined)
        request.reject(new InvariantError(`the drain batch answered no verdict for conversation ${id}`, { conversationId: id }));
      else if (verdict === 'again') this.requeue(id, request);
      else if (verdict === 'busy') request.reject(new UnavailableError(`${id} is held by another process; it is retried`));
      else request.resolve();
    }
  }

  private async alone(id: string, request: Request): Promise<void> {
    try {
      await this.runAlone(id);
      request.resolve();
    } catch (err) {
      request.reject(err);
    } finally {
      this.inBatch.delete(id);
    }
  }

  /** Back in line for the next batch (no newer request can exist: while in a batch, a request shares this one). */
  private requeue(id: string, request: Request): void {
    this.waiting.set(id, request);
  }
}
