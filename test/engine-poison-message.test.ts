import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_HANDLING_FAILURES } from '../platform/automation/conversation-drain.ts';
import { testSql } from './support/test-sql.ts';
import { scriptedHandler, startDrainHarness, type DrainHarness } from './support/drain-harness.ts';

let harness: DrainHarness;
const script = scriptedHandler();
const handled = script.handled;
// "poison" throws every time; others are scripted per test.
script.failWith('poison', Infinity, 'boom: this message breaks the handler');

async function engineState(messageId: string): Promise<{ handled: boolean; engine: { failures?: number; lastError?: string } | null }> {
  const { rows } = await testSql<{ handled: boolean; engine: { failures?: number; lastError?: string } | null }>(
    harness.env.orm.em.fork(),
    `select handled_at is not null as handled, metadata -> 'engine' as engine from messages where id = :id`,
    { id: messageId },
  );
  return rows[0]!;
}

beforeAll(async () => {
  harness = await startDrainHarness(script.handler, 'Poison test');
});

afterAll(async () => {
  await harness?.env.cleanup();
});

describe('when handling a message throws every time (a poison message)', () => {
  it(`sets it aside after ${MAX_HANDLING_FAILURES} failures with its error, and the conversation's later messages are handled`, async () => {
    const poison = await harness.say('+15557000001', 'poison');
    await harness.say('+15557000001', 'after the poison');
    for (let attempt = 1; attempt < MAX_HANDLING_FAILURES; attempt++) {
      await expect(harness.drain.drain(poison.conversationId)).rejects.toThrow('boom: this message breaks the handler');
      expect(await engineState(poison.messageId)).toMatchObject({ handled: false, engine: { failures: attempt } });
      expect(handled).not.toContain('after the poison');
    }
    await harness.drain.drain(poison.conversationId);
    expect(handled).toContain('after the poison');
    expect(await engineState(poison.messageId)).toEqual({
      handled: true,
      engine: { failures: MAX_HANDLING_FAILURES, lastError: 'Error: boom: this message breaks the handler' },
    });
  });
});

describe('when handling a message fails in its batch', () => {
  it('retries it alone at once: it is handled, in order, with no failure counted', async () => {
    script.failWith('flaky once', 1);
    const flaky = await harness.say('+15557000003', 'flaky once');
    await harness.say('+15557000003', 'next after one failure');
    await harness.drain.drain(flaky.conversationId);
    expect(handled.slice(-2)).toEqual(['flaky once', 'next after one failure']);
    expect(await engineState(flaky.messageId)).toEqual({ handled: true, engine: null });
  });
});

describe('when handling a message fails in its batch and alone', () => {
  it('fails the drain (its job retries), then handles it on the next attempt, in order, without setting it aside', async () => {
    script.failWith('flaky', 2);
    const flaky = await harness.say('+15557000002', 'flaky');
    await harness.say('+15557000002', 'next');
    await expect(harness.drain.drain(flaky.conversationId)).rejects.toThrow('a passing failure');
    expect(handled).not.toContain('next');
    await harness.drain.drain(flaky.conversationId);
    expect(handled.slice(-2)).toEqual(['flaky', 'next']);
    expect(await engineState(flaky.messageId)).toMatchObject({ handled: true, engine: { failures: 1 } });
  });
});
