import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { systemClock } from '../engine/clock.ts';
import { ConversationDrain, MAX_HANDLING_FAILURES } from '../platform/engine/conversation-drain.ts';
import type { InboundHandler, PendingMessage } from '../platform/engine/inbound-handler.ts';
import { newId } from '../platform/ids.ts';
import { InboundPipeline } from '../platform/pipeline/inbound-pipeline.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { QueueFactory } from '../platform/queues/queue-factory.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

let env: TestEnv;
let pipeline: InboundPipeline;
let channelId: string;
const handled: string[] = [];
let failOnce = new Set<string>();

/** Handles any message but "poison" (always throws) and those in `failOnce` (throw the first time). */
const handler = {
  async handle(_em: unknown, message: PendingMessage): Promise<string> {
    if (message.text === 'poison') throw new Error('boom: this message breaks the handler');
    if (failOnce.delete(message.text ?? '')) throw new Error('a passing failure');
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
  drain = new ConversationDrain({ orm: env.orm, queues: new QueueFactory(env.redis, env.config.redisPrefix), logger: pino({ level: 'silent' }), clock: systemClock, handler, afterCommit: async () => undefined });
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

describe('when handling a message fails once', () => {
  it('handles it on the next attempt, in order, without setting it aside', async () => {
    failOnce = new Set(['flaky']);
    const flaky = await say('+15557000002', 'flaky');
    await say('+15557000002', 'next');
    await expect(drain.drain(flaky.conversationId)).rejects.toThrow('a passing failure');
    await drain.drain(flaky.conversationId);
    expect(handled.slice(-2)).toEqual(['flaky', 'next']);
    expect(await engineState(flaky.messageId)).toMatchObject({ handled: true, engine: { failures: 1 } });
  });
});
