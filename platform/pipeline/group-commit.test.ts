import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.ts';
import { InvariantError } from '../../engine/errors/invariant.error.ts';

/** A statement the fake write has started and the test finishes by hand. */
interface Statement {
  items: string[];
  /** Answers `result:<item>` for each item. */
  finish: () => void;
  fail: (err: Error) => void;
}

/** A group commit over a fake write that records its statements and leaves them in flight. */
function groupCommit(limits: { maxItems: number; keyOf?: (item: string) => string }): {
  commit: GroupCommit<string, string>;
  statements: Statement[];
} {
  const statements: Statement[] = [];
  const write = (items: string[]) =>
    new Promise<string[]>((resolve, reject) => {
      statements.push({ items, finish: () => resolve(items.map((item) => `result:${item}`)), fail: reject });
    });
  return { commit: new GroupCommit(write, limits), statements };
}

/** Lets the submissions of the current tick be written, and a finished statement's successor start. */
function afterTick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('when items are submitted in the same tick', () => {
  it('writes them with one statement and gives each caller its own result', async () => {
    const { commit, statements } = groupCommit({ maxItems: 100 });
    const results = Promise.all(['a', 'b', 'c'].map((item) => commit.submit(item)));
    await afterTick();

    expect(statements.map((s) => s.items)).toEqual([['a', 'b', 'c']]);
    statements[0]!.finish();
    expect(await results).toEqual(['result:a', 'result:b', 'result:c']);
  });
});

describe('when items are submitted while a statement is in flight', () => {
  it('writes them together in the next statement, once the one in flight has returned', async () => {
    const { commit, statements } = groupCommit({ maxItems: 100 });
    const first = commit.submit('a');
    await afterTick();
    const later = Promise.all([commit.submit('b'), commit.submit('c')]);
    await afterTick();
    expect(statements.map((s) => s.items)).toEqual([['a']]);

    statements[0]!.finish();
    expect(await first).toBe('result:a');
    await afterTick();
    expect(statements.map((s) => s.items)).toEqual([['a'], ['b', 'c']]);
    statements[1]!.finish();
    expect(await later).toEqual(['result:b', 'result:c']);
  });

  it('writes an item submitted once everything has returned with a statement of its own', async () => {
    const { commit, statements } = groupCommit({ maxItems: 100 });
    const first = commit.submit('a');
    await afterTick();
    statements[0]!.finish();
    await first;

    const second = commit.submit('b');
    await afterTick();
    expect(statements.map((s) => s.items)).toEqual([['a'], ['b']]);
    statements[1]!.finish();
    expect(await second).toBe('result:b');
  });
});

describe('when more items wait than one statement takes', () => {
  it('writes at most maxItems per statement, oldest first', async () => {
    const { commit, statements } = groupCommit({ maxItems: 2 });
    const results = Promise.all(['a', 'b', 'c', 'd', 'e'].map((item) => commit.submit(item)));
    for (let i = 0; i < 3; i++) {
      await afterTick();
      statements[i]!.finish();
    }

    expect(await results).toEqual(['result:a', 'result:b', 'result:c', 'result:d', 'result:e']);
    expect(statements.map((s) => s.items)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });
});

describe('when two items have the same key', () => {
  it('writes the later one in the next statement', async () => {
    const { commit, statements } = groupCommit({ maxItems: 100, keyOf: (item) => item.split('#')[0]! });
    const results = Promise.all(['m1#first', 'm1#again', 'm2'].map((item) => commit.submit(item)));
    await afterTick();
    statements[0]!.finish();
    await afterTick();
    statements[1]!.finish();

    expect(await results).toEqual(['result:m1#first', 'result:m1#again', 'result:m2']);
    expect(statements.map((s) => s.items)).toEqual([['m1#first', 'm2'], ['m1#again']]);
  });
});

describe('when a statement throws', () => {
  it('rejects exactly its own items with the error, and the next statement still runs', async () => {
    const { commit, statements } = groupCommit({ maxItems: 100 });
    const failing = [commit.submit('a'), commit.submit('b')].map((p) => p.catch((err: unknown) => err));
    await afterTick();
    const later = commit.submit('c');
    statements[0]!.fail(new Error('deadlock detected'));

    for (const err of await Promise.all(failing)) {
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toBe('deadlock detected');
    }
    await afterTick();
    expect(statements.map((s) => s.items)).toEqual([['a', 'b'], ['c']]);
    statements[1]!.finish();
    expect(await later).toBe('result:c');
  });

  it('rejects the items of a write that answers a result count other than its item count', async () => {
    const commit = new GroupCommit<string, string>(async () => ['only one'], { maxItems: 100 });
    const results = [commit.submit('a'), commit.submit('b')].map((p) => p.catch((err: unknown) => err));

    for (const err of await Promise.all(results)) {
      expect(err).toBeInstanceOf(InvariantError);
      expect((err as InvariantError).message).toBe('a batch write answered 1 results for 2 items');
      expect((err as InvariantError).subject).toEqual({ results: 1, items: 2 });
    }
  });
});

describe('when the limit is not a positive whole number', () => {
  it('refuses it at construction, since no statement could take an item', () => {
    expect(() => new GroupCommit(async (items: string[]) => items, { maxItems: 0 })).toThrow(
      new RangeError('maxItems must be a positive integer, got 0'),
    );
  });
});
