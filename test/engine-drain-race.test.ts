import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAIN_BATCHES_IN_FLIGHT } from '../platform/automation/conversation-drain.ts';
import { fakeHandler, startDrainHarness, type DrainHarness } from './support/drain-harness.ts';

let harness: DrainHarness;
const handled: string[] = [];
/** Messages whose handling waits for the test, by text. */
const gates = new Map<string, Promise<void>>();
/** What handling a message does first, by text (the handler runs inside the drain's transaction). */
const sideEffects = new Map<string, () => Promise<void>>();

const handler = fakeHandler(async (message) => {
  await gates.get(message.text ?? '');
  await sideEffects.get(message.text ?? '')?.();
  handled.push(message.text ?? '');
});

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

beforeAll(async () => {
  harness = await startDrainHarness(handler, 'Drain race test');
});

afterAll(async () => {
  await harness?.env.cleanup();
});

describe('a message that arrives in a conversation while a batch holds its lock with nothing to do', () => {
  it('is handled once the batch commits, not stranded until the reconciler', async () => {
    // The quiet conversation has a handled message and nothing pending; the busy one has a message.
    const quietFirst = await harness.say('+15558000010', 'quiet, first');
    await harness.drain.drain(quietFirst.conversationId);
    const busy = await harness.say('+15558000011', 'busy');

    // Conversations hold the process's batch slots until the test lets them go, so that the quiet
    // and the busy conversation are asked for meanwhile and share the next batch.
    const blockers = Array.from({ length: DRAIN_BATCHES_IN_FLIGHT }, (_, i) => ({ text: `blocker ${i}`, gate: gate() }));
    for (const b of blockers) gates.set(b.text, b.gate.promise);
    const blocked = await Promise.all(blockers.map((b, i) => harness.say(`+1555800000${i}`, b.text)));
    const blockerDrains = blocked.map((b) => harness.drain.drain(b.conversationId));
    // While the batch holds the quiet conversation's lock (having found its inbox empty), a new
    // message arrives there and its drain is asked for: it shares the batch's request.
    let lateDrain: Promise<void> | undefined;
    sideEffects.set('busy', async () => {
      const late = await harness.say('+15558000010', 'quiet, late');
      lateDrain = harness.drain.drain(late.conversationId);
    });

    const batchDrains = [harness.drain.drain(quietFirst.conversationId), harness.drain.drain(busy.conversationId)];
    for (const b of blockers) b.gate.open();
    await Promise.all([...blockerDrains, ...batchDrains]);
    await lateDrain;
    expect(handled).toContain('quiet, late');
  });
});
