import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventually } from './eventually.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('when a test waits for a condition', () => {
  it('returns the first value that is not undefined, checking every interval', async () => {
    let calls = 0;
    const waiting = eventually(async () => (++calls >= 3 ? `after ${calls}` : undefined), { intervalMs: 50 });
    await vi.advanceTimersByTimeAsync(100);
    await expect(waiting).resolves.toBe('after 3');
  });

  it('fails after the timeout naming what it awaited and how far it got', async () => {
    const waiting = eventually(async () => undefined, { timeoutMs: 200, what: '3 replies sent', progress: () => '1 so far' });
    const failed = expect(waiting).rejects.toThrow('not met within 200 ms: 3 replies sent (1 so far)');
    await vi.advanceTimersByTimeAsync(300);
    await failed;
  });

  it('takes the timeout alone as a number', async () => {
    const waiting = eventually(async () => undefined, 100);
    const failed = expect(waiting).rejects.toThrow('not met within 100 ms: the condition');
    await vi.advanceTimersByTimeAsync(200);
    await failed;
  });

  it('ends at once with the error a check throws', async () => {
    await expect(eventually(async () => Promise.reject(new Error('the process exited with 1')))).rejects.toThrow(
      'the process exited with 1',
    );
  });
});
