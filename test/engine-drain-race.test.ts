import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { systemClock } from '../engine/clock.ts';
import { ConversationDrain, DRAIN_BATCHES_IN_FLIGHT } from '../platform/engine/conversation-drain.ts';
import type { InboundHandler, PendingMessage } from '../platform/engine/inbound-handler.ts';
import { newId } from '../platform/ids.ts';
import { InboundPipeline } from '../platform/pipeline/inbound-pipeline.ts';
import { Outbox } from '../platform/pipeline/outbox.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { QueueFactory } from '../platform/queues/queue-factory.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

let env: TestEnv;
let pipeline: InboundPipeline;
let channelId: string;
let drain: ConversationDrain;
const handled: string[] = [];
/** Messages whose handling waits for the test, by text. */
const gates = new Map<string, Promise<void>>();
/** What handling a message does first, by text (the handler runs inside the drain's transaction). */
const sideEffects = new Map<string, () => Promise<void>>();

const handler = {
  async triggers(): Promise<{ callsOut: boolean }> {
    return { callsOut: false };
  },
  async mayCallOut(): Promise<boolean> {
    return false;
  },
  async handle(_em: unknown, message: PendingMessage): Promise<string> {
    await gates.get(message.text ?? '');
    await sideEffects.get(message.text ?? '')?.();
    handled.push(message.text ?? '');
    return 'handled';
  },
} as unknown as InboundHandler;

async function say(phone: string, text: string): Promise<{ conversationId: string; messageId: string }> {
  return pipeline.accept({ channelId, providerMessageId: newId(), from: { phone }, type: 'text', text });
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

beforeAll(async () => {
  env = await createTestEnv();
  const logger = pino({ level: 'silent' });
  pipeline = new InboundPipeline({ orm: env.orm, logger, clock: systemClock });
  const queues = new QueueFactory(env.redis, env.config.redisPrefix);
  const outbox = new Outbox({ orm: env.orm, queues, logger, clock: systemClock });
  drain = new ConversationDrain({ orm: env.orm, queues, logger, clock: systemClock, handler, outbox, afterCommit: async () => undefined });
  const workspaceId = newId();
  channelId = newId();
  await runSql(env.orm.em.fork(), `insert into workspaces (id, name) values (:workspaceId, 'Drain race test')`, { workspaceId });
  await runSql(env.orm.em.fork(), `insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'sandbox', 'Sandbox', 'connected')`, { channelId, workspaceId });
});

afterAll(async () => {
  await env?.cleanup();
});

describe('a message that arrives in a conversation while a batch holds its lock with nothing to do', () => {
  it('is handled once the batch commits, not stranded until the reconciler', async () => {
    // The quiet conversation has a handled message and nothing pending; the busy one has a message.
    const quietFirst = await say('+15558000010', 'quiet, first');
    await drain.drain(quietFirst.conversationId);
    const busy = await say('+15558000011', 'busy');

    // Conversations hold the process's batch slots until the test lets them go, so that the quiet
    // and the busy conversation are asked for meanwhile and share the next batch.
    const blockers = Array.from({ length: DRAIN_BATCHES_IN_FLIGHT }, (_, i) => ({ text: `blocker ${i}`, gate: gate() }));
    for (const b of blockers) gates.set(b.text, b.gate.promise);
    const blocked = await Promise.all(blockers.map((b, i) => say(`+1555800000${i}`, b.text)));
    const blockerDrains = blocked.map((b) => drain.drain(b.conversationId));
    // While the batch holds the quiet conversation's lock (having found its inbox empty), a new
    // message arrives there and its drain is asked for: it shares the batch's request.
    let lateDrain: Promise<void> | undefined;
    sideEffects.set('busy', async () => {
      const late = await say('+15558000010', 'quiet, late');
      lateDrain = drain.drain(late.conversationId);
    });

    const batchDrains = [drain.drain(quietFirst.conversationId), drain.drain(busy.conversationId)];
    for (const b of blockers) b.gate.open();
    await Promise.all([...blockerDrains, ...batchDrains]);
    await lateDrain;
    expect(handled).toContain('quiet, late');
  });
});
