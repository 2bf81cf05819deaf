import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboxBus } from '../platform/inbox/inbox-bus.ts';
import type { ConversationMoved, InboxEvent } from '../platform/inbox/inbox-effects.ts';
import { createLogger } from '../platform/logger.ts';
import { createRedis, type Redis } from '../platform/redis.ts';
import { TEST_REDIS_URL } from './support/test-env.ts';
import { eventually } from './support/eventually.ts';

function moved(workspaceId: string, conversationId: string, toState: 'resolved' | 'assigned'): ConversationMoved {
  return {
    type: 'conversation',
    eventId: crypto.randomUUID(),
    workspaceId,
    conversationId,
    teamId: null,
    fromState: 'assigned',
    toState,
    fromAssigneeUserId: null,
    toAssigneeUserId: null,
    reason: 'test',
    at: new Date().toISOString(),
  };
}

describe('the inbox bus', () => {
  const prefix = `omtest:${randomBytes(6).toString('hex')}`;
  let redis: Redis;
  let watcher: Redis;
  let bus: InboxBus;

  beforeAll(() => {
    redis = createRedis(TEST_REDIS_URL);
    watcher = createRedis(TEST_REDIS_URL);
    bus = new InboxBus({ redis, prefix, logger: createLogger('silent') });
  });

  afterAll(async () => {
    await bus.stop();
    watcher.disconnect();
    redis.disconnect();
  });

  describe('when several moves publish their events in the same turn of the event loop', () => {
    it('sends them as one message per workspace, and listeners hear each event in order', async () => {
      const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
      const messages: { channel: string; payload: string }[] = [];
      watcher.on('message', (channel: string, payload: string) => messages.push({ channel, payload }));
      await watcher.subscribe(`${prefix}:inbox:events:${a}`, `${prefix}:inbox:events:${b}`);
      const heard: InboxEvent[] = [];
      const unsubscribe = await bus.subscribe(a, (e) => heard.push(e));

      const first = [moved(a, 'c1', 'resolved'), moved(a, 'c2', 'assigned')];
      const second = [moved(a, 'c3', 'resolved'), moved(b, 'c4', 'resolved')];
      await Promise.all([bus.publish(first), bus.publish(second)]);

      await eventually(async () => (messages.length === 2 && heard.length === 3 ? true : undefined), {
        what: '2 messages, 3 events heard',
      });
      expect(messages.map((m) => [m.channel.split(':').at(-1), (JSON.parse(m.payload) as InboxEvent[]).length]).sort()).toEqual(
        [
          [a, 3],
          [b, 1],
        ].sort(),
      );
      expect(heard.map((e) => (e as ConversationMoved).conversationId)).toEqual(['c1', 'c2', 'c3']);
      await unsubscribe();
    });
  });

  describe('when a process of the previous version publishes one event per message', () => {
    it('hands that event to the listeners', async () => {
      const workspaceId = crypto.randomUUID();
      const heard: InboxEvent[] = [];
      const unsubscribe = await bus.subscribe(workspaceId, (e) => heard.push(e));
      await redis.publish(`${prefix}:inbox:events:${workspaceId}`, JSON.stringify(moved(workspaceId, 'c9', 'resolved')));
      await eventually(async () => (heard.length === 1 ? true : undefined), { what: 'the event heard' });
      expect((heard[0] as ConversationMoved).conversationId).toBe('c9');
      await unsubscribe();
    });
  });
});
