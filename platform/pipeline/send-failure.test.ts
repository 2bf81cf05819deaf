import { describe, expect, it } from 'vitest';
import { PermanentError, RateLimitedError, UnavailableError, ValidationError } from '../../engine/errors/app-error.ts';
import { decideSendFailure, MAX_DEFERRED_MS } from './send-failure.ts';

const now = new Date('2026-12-07T12:00:00Z');
const queuedAt = new Date(now.getTime() - 60_000);
const first = { queuedAt, attemptsMade: 0, attempts: 3 };

describe('decideSendFailure', () => {
  it('leaves an unexpected error undecided: the provider may have taken the message', () => {
    expect(decideSendFailure(new Error('socket hang up'), first, now)).toEqual({ kind: 'outcome-unknown' });
  });

  it('fails the message on an error retrying cannot fix, with its code and message', () => {
    expect(decideSendFailure(new PermanentError('number not on WhatsApp'), first, now)).toEqual({
      kind: 'fail',
      reason: 'permanent_failure: number not on WhatsApp',
    });
    expect(decideSendFailure(new ValidationError('text too long'), first, now)).toEqual({
      kind: 'fail',
      reason: 'validation_failed: text too long',
    });
  });

  it('retries a passing condition while the policy has attempts left, and fails it at the last', () => {
    const down = new UnavailableError('provider down');
    expect(decideSendFailure(down, first, now)).toEqual({ kind: 'retry', reason: 'unavailable: provider down' });
    expect(decideSendFailure(down, { ...first, attemptsMade: 1 }, now).kind).toBe('retry');
    expect(decideSendFailure(down, { ...first, attemptsMade: 2 }, now)).toEqual({ kind: 'fail', reason: 'unavailable: provider down' });
    expect(decideSendFailure(down, { ...first, attempts: 1 }, now).kind).toBe('fail');
  });

  it('defers a lasting condition without counting an attempt, even at the last one', () => {
    const capped = new RateLimitedError(30);
    expect(decideSendFailure(capped, { ...first, attemptsMade: 2 }, now)).toEqual({
      kind: 'defer',
      reason: 'rate_limited: too many attempts; try again in 30 s',
      delayMs: 30_000,
    });
  });

  it('stops deferring a message queued for longer than a day: its attempts decide', () => {
    const old = { ...first, queuedAt: new Date(now.getTime() - MAX_DEFERRED_MS) };
    expect(decideSendFailure(new RateLimitedError(30), old, now).kind).toBe('retry');
    expect(decideSendFailure(new RateLimitedError(30), { ...old, attemptsMade: 2 }, now).kind).toBe('fail');
  });
});
