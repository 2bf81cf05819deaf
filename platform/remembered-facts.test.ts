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
