import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { systemClock } from '../engine/clock.ts';
import { ConversationDrain, MAX_HANDLING_FAILURES } from '../platform/engine/conversation-drain.ts';
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
const handled: string[] = [];
/** How many more times a message with this text throws. */
let failures = new Map<string, number>();

/** Handles any message but "poison" (always throws) and those in `failures` (throw that many times). */
const handler = {
  async triggers(): Promise<{ callsOut: boolean }> {
    return { callsOut: false };
  },
  async mayCallOut(): Promise<boolean> {
    return false;
  },
  async handle(_em: unknown, message: PendingMessage): Promise<string> {
    if (message.text === 'poison') throw new Error('boom: this message breaks the handler');
    const left = failures.get(message.text ?? '') ?? 0;
    if (left > 0) {
      failures.set(message.text ?? '', left - 1);
      throw new Error('a passing failure');
    }
    handled.push(message.text ?? '');
    return 'handled';
  },
} as unknown as InboundHandler;

let drain: ConversationDrain;

async function say(phone: string, text: string): Promise<{ conversationId: string; messageId: string }> {
  return pipeline.accept({ channelId, providerMessageId: newId(), from: { phone }, type: 'text', text });
}

async function engineState(messageId: string): Promise<{ handled: boolean; engine: { failures?: number; lastError?: string } | null }> {
  const { rows } = await runSql<{ handled: boolean; engine: { failures?: number; lastError?: string } | null }>(env.orm.em.fork(), `select handled_at is not null as handled, metadata -> 'engine' as engine from messages where id = :id`, { id: messageId });
  return rows[0]!;
}

beforeAll(async () => {
  env = await createTestEnv();
  pipeline = new InboundPipeline({ orm: env.orm, logger: pino({ level: 'silent' }), clock: systemClock });
  const queues = new QueueFactory(env.redis, env.config.redisPrefix);
  const logger = pino({ level: 'silent' });
  const outbox = new Outbox({ orm: env.orm, queues, logger, clock: systemClock });
  drain = new ConversationDrain({ orm: env.orm, queues, logger, clock: systemClock, handler, outbox, afterCommit: async () => undefined });
  const workspaceId = newId();
  channelId = newId();
  await runSql(env.orm.em.fork(), `insert into workspaces (id, name) values (:workspaceId, 'Poison test')`, { workspaceId });
  await runSql(env.orm.em.fork(), `insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'sandbox', 'Sandbox', 'connected')`, { channelId, workspaceId });
});

afterAll(async () => {
  await env?.cleanup();
});

describe('when handling a message throws every time (a poison message)', () => {
  it(`sets it aside after ${MAX_HANDLING_FAILURES} failures with its error, and the conversation's later messages are handled`, async () => {
    const poison = await say('+15557000001', 'poison');
    await say('+15557000001', 'after the poison');
    for (let attempt = 1; attempt < MAX_HANDLING_FAILURES; attempt++) {
      await expect(drain.drain(poison.conversationId)).rejects.toThrow('boom: this message breaks the handler');
      expect(await engineState(poison.messageId)).toMatchObject({ handled: false, engine: { failures: attempt } });
      expect(handled).not.toContain('after the poison');
    }
    await drain.drain(poison.conversationId);
    expect(handled).toContain('after the poison');
    expect(await engineState(poison.messageId)).toEqual({ handled: true, engine: { failures: MAX_HANDLING_FAILURES, lastError: 'Error: boom: this message breaks the handler' } });
  });
});

describe('when handling a message fails in its batch', () => {
  it('retries it alone at once: it is handled, in order, with no failure counted', async () => {
    failures = new Map([['flaky once', 1]]);
    const flaky = await say('+15557000003', 'flaky once');
    await say('+15557000003', 'next after one failure');
    await drain.drain(flaky.conversationId);
    expect(handled.slice(-2)).toEqual(['flaky once', 'next after one failure']);
    expect(await engineState(flaky.messageId)).toEqual({ handled: true, engine: null });
  });
});

describe('when handling a message fails in its batch and alone', () => {
  it('fails the drain (its job retries), then handles it on the next attempt, in order, without setting it aside', async () => {
    failures = new Map([['flaky', 2]]);
    const flaky = await say('+15557000002', 'flaky');
    await say('+15557000002', 'next');
    await expect(drain.drain(flaky.conversationId)).rejects.toThrow('a passing failure');
    expect(handled).not.toContain('next');
    await drain.drain(flaky.conversationId);
    expect(handled.slice(-2)).toEqual(['flaky', 'next']);
    expect(await engineState(flaky.messageId)).toMatchObject({ handled: true, engine: { failures: 1 } });
  });
});
