import { describe, expect, it } from 'vitest';
import { RememberedFacts } from './remembered-facts.ts';

describe('RememberedFacts', () => {
  it('looks a fact up once and answers it from memory since', async () => {
    const facts = new RememberedFacts<string>(10);
    let lookUps = 0;
    const lookUp = () => {
      lookUps += 1;
      return Promise.resolve('sandbox');
    };
    expect(await facts.get('c1', lookUp)).toBe('sandbox');
    expect(await facts.get('c1', lookUp)).toBe('sandbox');
    expect(lookUps).toBe(1);
  });

  it('does not remember a missing fact or a failed look-up: the next call looks again', async () => {
    const facts = new RememberedFacts<string>(10);
    expect(await facts.get('c1', () => Promise.resolve(undefined))).toBeUndefined();
    await expect(facts.get('c1', () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    expect(await facts.get('c1', () => Promise.resolve('webhook'))).toBe('webhook');
  });

  it('gives callers that ask while a look-up runs that same look-up, found or missing', async () => {
    const facts = new RememberedFacts<string>(10);
    let lookUps = 0;
    const answer = (result: () => Promise<string | undefined>) => () => {
      lookUps += 1;
      return result();
    };
    const found = answer(() => new Promise((resolve) => setTimeout(() => resolve('sandbox'), 5)));
    expect(await Promise.all([facts.get('c1', found), facts.get('c1', found), facts.get('c1', found)])).toEqual([
      'sandbox',
      'sandbox',
      'sandbox',
    ]);
    expect(lookUps).toBe(1);

    const missing = answer(() => new Promise((resolve) => setTimeout(() => resolve(undefined), 5)));
    expect(await Promise.all([facts.get('c2', missing), facts.get('c2', missing)])).toEqual([undefined, undefined]);
    expect(lookUps).toBe(2);

    // The shared look-up failed (its caller's transaction, say): the caller that joined it looks up itself.
    const failing = answer(() => new Promise((_, reject) => setTimeout(() => reject(new Error('transaction aborted')), 5)));
    const working = answer(() => Promise.resolve('webhook'));
    const settled = await Promise.allSettled([facts.get('c3', failing), facts.get('c3', working)]);
    expect(settled).toEqual([
      { status: 'rejected', reason: new Error('transaction aborted') },
      { status: 'fulfilled', value: 'webhook' },
    ]);
    expect(lookUps).toBe(4);
    // A missing fact does not stay: the next call looks again.
    const later = answer(() => Promise.resolve('webhook'));
    expect(await facts.get('c2', later)).toBe('webhook');
    expect(lookUps).toBe(5);
  });

  it('starts over when full, so that memory stays bounded', async () => {
    const facts = new RememberedFacts<number>(2);
    let lookUps = 0;
    const lookUp = (n: number) => () => {
      lookUps += 1;
      return Promise.resolve(n);
    };
    await facts.get('a', lookUp(1));
    await facts.get('b', lookUp(2));
    await facts.get('c', lookUp(3)); // full: forgets a and b
    expect(lookUps).toBe(3);
    expect(await facts.get('c', lookUp(3))).toBe(3);
    expect(lookUps).toBe(3);
    expect(await facts.get('a', lookUp(1))).toBe(1);
    expect(lookUps).toBe(4);
  });
});
