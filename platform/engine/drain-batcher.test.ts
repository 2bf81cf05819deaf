import { describe, expect, it } from 'vitest';
import { DrainBatcher, type BatchVerdict } from './drain-batcher.ts';

/** A batch runner whose batches the test finishes by hand, recording what each one held. */
function controlledBatches() {
  const batches: { ids: string[]; finish: (verdicts?: Record<string, BatchVerdict>) => void; fail: (err: Error) => void }[] = [];
  const run = (ids: string[]) =>
    new Promise<Map<string, BatchVerdict>>((resolve, reject) => {
      batches.push({ ids, finish: (verdicts = {}) => resolve(new Map(Object.entries(verdicts))), fail: reject });
    });
  return { batches, run };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('DrainBatcher', () => {
  it('starts a batch at once, and gathers the conversations asked for while batches are in flight into the next one', async () => {
    const { batches, run } = controlledBatches();
    const batcher = new DrainBatcher(run, async () => undefined, { maxBatch: 10, batchesInFlight: 1 });
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
    const batcher = new DrainBatcher(run, async () => undefined, { maxBatch: 2, batchesInFlight: 2 });
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

  it('shares one request per conversation, and puts a conversation with more messages back until it is done', async () => {
    const { batches, run } = controlledBatches();
    const batcher = new DrainBatcher(run, async () => undefined, { maxBatch: 10, batchesInFlight: 1 });
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
});
