import { InvariantError } from '../../engine/errors/invariant.error.ts';

/** Writes a batch of items in one statement; answers one result per item, in the items' order. */
export type BatchWrite<Item, Result> = (items: Item[]) => Promise<Result[]>;

export interface GroupCommitLimits<Item> {
  /** Items written by one statement at most; the rest wait for the next one. */
  maxItems: number;
  /**
   * Items with the same key never share a statement: a later one waits for the next statement,
   * so that it sees what the earlier one wrote (two updates of one row judged in order).
   */
  keyOf?: (item: Item) => string;
}

interface Pending<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for the statements of concurrent callers of one process: each caller submits its
 * own item and gets its own result, and the items are written together, one round trip and one
 * commit for many callers.
 *
 * - The first item is written after the current tick (items submitted together go together).
 * - One statement is in flight at a time: items submitted meanwhile are written together by the
 *   next one, at most `maxItems` each, oldest first. Under load, statements grow instead of
 *   queueing on the database; when idle, an item waits for no one.
 * - A statement that throws rejects each of its items with the error (their callers decide about
 *   retries); the items submitted meanwhile are still written by the next statement.
 */
export class GroupCommit<Item, Result> {
  private pending: Pending<Item, Result>[] = [];
  private flushing = false;

  constructor(
    private readonly write: BatchWrite<Item, Result>,
    private readonly limits: GroupCommitLimits<Item>,
  ) {
    if (!Number.isInteger(limits.maxItems) || limits.maxItems < 1)
      throw new RangeError(`maxItems must be a positive integer, got ${limits.maxItems}`);
  }

  /** Resolves with the item's own result once the statement that wrote it has returned. */
  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.takeBatch();
        try {
          const results = await this.write(batch.map((p) => p.item));
          if (results.length !== batch.length)
            throw new InvariantError(`a batch write answered ${results.length} results for ${batch.length} items`, {
              results: results.length,
              items: batch.length,
            });
          batch.forEach((p, i) => p.resolve(results[i] as Result));
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** The oldest pending items, at most `maxItems` and one per key. */
  private takeBatch(): Pending<Item, Result>[] {
    const { maxItems, keyOf } = this.limits;
    if (!keyOf) return this.pending.splice(0, maxItems);
    const batch: Pending<Item, Result>[] = [];
    const rest: Pending<Item, Result>[] = [];
    const keys = new Set<string>();
    for (const p of this.pending) {
      const key = keyOf(p.item);
      if (batch.length >= maxItems || keys.has(key)) rest.push(p);
      else {
        keys.add(key);
        batch.push(p);
      }
    }
    this.pending = rest;
    return batch;
  }
}
