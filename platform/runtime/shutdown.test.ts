import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logger.ts';
import { GracefulShutdown } from './shutdown.ts';

const logger = createLogger('silent');

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('when a shutdown runs', () => {
  it('runs the steps in the order added, then exits 0', async () => {
    const order: string[] = [];
    const exit = vi.fn();
    const shutdown = new GracefulShutdown({ logger, exit })
      .add('http', async () => void order.push('http'))
      .add('queues', async () => void order.push('queues'))
      .add('db', async () => void order.push('db'));
    await shutdown.run('test');
    expect(order).toEqual(['http', 'queues', 'db']);
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('runs the later steps when one fails, then exits 1', async () => {
    const exit = vi.fn();
    const ran: string[] = [];
    const shutdown = new GracefulShutdown({ logger, exit })
      .add('redis', () => Promise.reject(new Error('redis hung up')))
      .add('db', async () => void ran.push('db'));
    await shutdown.run('test');
    expect(ran).toEqual(['db']);
    expect(exit).toHaveBeenCalledWith(1);
  });
});

describe('when a step hangs', () => {
  it('exits 1 at the deadline', async () => {
    const exit = vi.fn();
    const shutdown = new GracefulShutdown({ logger, exit, deadlineMs: 10_000 }).add('stuck', () => new Promise(() => {}));
    void shutdown.run('test');
    await vi.advanceTimersByTimeAsync(9_999);
    expect(exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(exit).toHaveBeenCalledWith(1);
  });
});

describe('when a second signal arrives during the shutdown', () => {
  it('exits 1 at once', async () => {
    const exit = vi.fn();
    const shutdown = new GracefulShutdown({ logger, exit }).add('slow', () => new Promise((resolve) => setTimeout(resolve, 5_000)));
    void shutdown.run('SIGTERM');
    void shutdown.run('SIGINT');
    expect(exit).toHaveBeenCalledWith(1);
  });
});
