import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UnavailableError } from '../../engine/errors/app-error.ts';
import { InvariantError } from '../../engine/errors/invariant.error.ts';
import { DrainBatcher, type BatchVerdict } from './drain-batcher.ts';

/**
 * A batch runner whose batches the test finishes by hand, recording what each one held. `finish`
 * answers `done` for every conversation it is not told otherwise about, as the real runner does.
 */
function controlledBatches() {
  const batches: {
    ids: string[];
    finish: (verdicts?: Record<string, BatchVerdict>) => void;
    answer: (verdicts: Map<string, BatchVerdict>) => void;
    fail: (err: Error) => void;
  }[] = [];
  const run = (ids: string[]) =>
    new Promise<Map<string, BatchVerdict>>((resolve, reject) => {
      batches.push({
        ids,
        finish: (verdicts = {}) => resolve(new Map(ids.map((id) => [id, verdicts[id] ?? 'done']))),
        answer: resolve,
        fail: reject,
      });
    });
  return { batches, run };
}

/** A logger that keeps its warnings. */
function recordingLogger() {
  const warnings: { fields: unknown; message: string }[] = [];
  return { warnings, logger: { warn: (fields: unknown, message: string) => void warnings.push({ fields, message }) } as never };
}
const quiet = recordingLogger().logger;

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('DrainBatcher', () => {
  it('starts a batch at once, and gathers the conversations asked for while batches are in flight into the next one', async () => {
    const { batches, run } = controlledBatches();
    const batcher = new DrainBatcher(run, async () => undefined, { maxBatch: 10, batchesInFlight: 1 }, quiet);
    const first = batcher.request('a');
    const later = ['b', 'c', 'd'].map((id) => batcher.request(id));
    expect(batches.map((b) => b.ids)).toEqual([['a']]);
    batches[0]!.finish();
    await first;
    await tick();
    expect(batches.map((b) => b.ids)).toEqual([['a'], ['b', 'c', 'd']]);
    batches[1]!.finish();
    await Promise.all(later);
  });

  it('keeps at most maxBatch conversations per batch and batchesInFlight batches at once', async () => {
    const { batches, run } = controlledBatches();
    const batcher = new DrainBatcher(run, async () => undefined, { maxBatch: 2, batchesInFlight: 2 }, quiet);
    const all = ['a', 'b', 'c', 'd', 'e'].map((id) => batcher.request(id));
    expect(batches.map((b) => b.ids)).toEqual([['a'], ['b']]);
    batches[0]!.finish();
    await tick();
    expect(batches.map((b) => b.ids)).toEqual([['a'], ['b'], ['c', 'd']]);
    batches[1]!.finish();
    await tick();
    expect(batches.map((b) => b.ids)).toEqual([['a'], ['b'], ['c', 'd'], ['e']]);
    batches[2]!.finish();
    batches[3]!.finish();
    await Promise.all(all);
  });

  it('while a batch runs, starts another only once moreBatchesFrom conversations wait, and else gathers them for the next one', async () => {
    const { batches, run } = controlledBatches();
    const batcher = new DrainBatcher(run, async () => undefined, { maxBatch: 10, batchesInFlight: 2, moreBatchesFrom: 3 }, quiet);
    const all = ['a', 'b', 'c'].map((id) => batcher.request(id));
    // 'a' alone at once; 'b' and 'c' wait for it (fewer than 3 wait).
    expect(batches.map((b) => b.ids)).toEqual([['a']]);
    batches[0]!.finish();
    await tick();
    expect(batches.map((b) => b.ids)).toEqual([['a'], ['b', 'c']]);
    // With that batch running, three waiting start a second one at once.
    all.push(...['d', 'e', 'f'].map((id) => batcher.request(id)));
    expect(batches.map((b) => b.ids)).toEqual([['a'], ['b', 'c'], ['d', 'e', 'f']]);
    batches[1]!.finish();
    batches[2]!.finish();
    await Promise.all(all);
  });

  describe('with a bound on how long keys wait for a running batch', () => {
    beforeEach(() => vi.useFakeTimers());
    afterEach(() => vi.useRealTimers());

    it('starts another batch for keys that waited moreBatchesAfterMs for a batch held up, however few they are', async () => {
      const { batches, run } = controlledBatches();
      const batcher = new DrainBatcher(
        run,
        async () => undefined,
        { maxBatch: 10, batchesInFlight: 2, moreBatchesFrom: 3, moreBatchesAfterMs: 20 },
        quiet,
      );
      const all = ['a', 'b'].map((id) => batcher.request(id));
      expect(batches.map((b) => b.ids)).toEqual([['a']]);
      // 'a' is held up: 'b' waits for it up to the bound, not past it.
      await vi.advanceTimersByTimeAsync(19);
      expect(batches.map((b) => b.ids)).toEqual([['a']]);
      await vi.advanceTimersByTimeAsync(1);
      expect(batches.map((b) => b.ids)).toEqual([['a'], ['b']]);
      batches[1]!.finish();
      batches[0]!.finish();
      await Promise.all(all);
    });
  });

  it('refuses a key another holder has (busy) with an UnavailableError, so that its job retries, and resolves the others', async () => {
    const { batches, run } = controlledBatches();
    const aloneRuns: string[] = [];
    const batcher = new DrainBatcher(run, async (id) => void aloneRuns.push(id), { maxBatch: 10, batchesInFlight: 1 }, quiet);
    const held = batcher.request('a');
    const free = batcher.request('b');
    batches[0]!.finish({ a: 'busy' });
    await expect(held).rejects.toBeInstanceOf(UnavailableError);
    batches[1]!.finish();
    await free;
    expect(aloneRuns).toEqual([]);
    // Refused, not remembered: asked again, it goes into a new batch.
    const again = batcher.request('a');
    await tick();
    expect(batches.map((b) => b.ids)).toEqual([['a'], ['b'], ['a']]);
    batches[2]!.finish();
    await again;
  });

  it('shares one request per conversation, and puts a conversation with more messages back until it is done', async () => {
    const { batches, run } = controlledBatches();
    const batcher = new DrainBatcher(run, async () => undefined, { maxBatch: 10, batchesInFlight: 1 }, quiet);
    const first = batcher.request('a');
    expect(batcher.request('a')).toBe(first);
    let resolved = false;
    void first.then(() => (resolved = true));
    batches[0]!.finish({ a: 'again' });
    await tick();
    expect(resolved).toBe(false);
    expect(batches.map((b) => b.ids)).toEqual([['a'], ['a']]);
    expect(batcher.request('a')).toBe(first);
    batches[1]!.finish({ a: 'done' });
    await first;
  });

  it('hands a conversation that must run alone to the alone runner without holding a batch slot', async () => {
    const { batches, run } = controlledBatches();
    let releaseAlone!: () => void;
    const alone: string[] = [];
    const batcher = new DrainBatcher(
      run,
      (id) => {
        alone.push(id);
        return new Promise<void>((resolve) => (releaseAlone = resolve));
      },
      { maxBatch: 10, batchesInFlight: 1 },
      quiet,
    );
    const slow = batcher.request('slow');
    batches[0]!.finish({ slow: 'alone' });
    await tick();
    expect(alone).toEqual(['slow']);
    const quick = batcher.request('quick');
    expect(batches.map((b) => b.ids)).toEqual([['slow'], ['quick']]);
    batches[1]!.finish();
    await quick;
    releaseAlone();
    await slow;
  });

  it('handles every conversation of a failed batch alone: a failure rejects only its own conversation', async () => {
    const { batches, run } = controlledBatches();
    const alone: string[] = [];
    const batcher = new DrainBatcher(
      run,
      async (id) => {
        alone.push(id);
        if (id === 'bad') throw new Error('bad message');
      },
      { maxBatch: 10, batchesInFlight: 1 },
      quiet,
    );
    const first = batcher.request('first');
    const good = batcher.request('good');
    const bad = batcher.request('bad');
    batches[0]!.finish();
    await first;
    await tick();
    batches[1]!.fail(new Error('the batch failed'));
    await expect(good).resolves.toBeUndefined();
    await expect(bad).rejects.toThrow('bad message');
    expect(alone.sort()).toEqual(['bad', 'good']);
  });

  it("logs a failed batch's error with its conversations, even when each conversation then drains alone", async () => {
    const { batches, run } = controlledBatches();
    const { warnings, logger } = recordingLogger();
    const batcher = new DrainBatcher(run, async () => undefined, { maxBatch: 10, batchesInFlight: 1 }, logger);
    const drained = batcher.request('a');
    const cause = new Error('deadlock detected');
    batches[0]!.fail(cause);
    await drained;
    expect(warnings).toEqual([
      { fields: { err: cause, conversationIds: ['a'] }, message: 'a drain batch failed; each of its conversations is drained alone' },
    ]);
  });

  it('rejects a conversation the batch answered no verdict for with an InvariantError, instead of passing it as drained', async () => {
    const { batches, run } = controlledBatches();
    const batcher = new DrainBatcher(run, async () => undefined, { maxBatch: 10, batchesInFlight: 1 }, quiet);
    const answered = batcher.request('answered');
    batches[0]!.answer(new Map());
    const err = await answered.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvariantError);
    expect(err).toMatchObject({
      message: 'the drain batch answered no verdict for conversation answered',
      subject: { conversationId: 'answered' },
    });
  });
});
