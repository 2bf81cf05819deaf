import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { systemClock } from '../engine/clock.ts';
import type { ChannelConnector, OutboundSend } from '../engine/ports/channel-connector.port.ts';
import { UnavailableError } from '../engine/errors/app-error.ts';
import { newId } from '../platform/ids.ts';
import { BatchSender } from '../platform/pipeline/batch-sender.ts';
import { ConnectorRegistry } from '../platform/pipeline/connector-registry.ts';
import { Outbox } from '../platform/pipeline/outbox.ts';
import { testSql } from './support/test-sql.ts';
import { sendQueueName, type SendJobData } from '../platform/pipeline/send-job.ts';
import { QueueFactory } from '../platform/queues/queue-factory.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

const logger = pino({ level: 'silent' });
let env: TestEnv;
let queues: QueueFactory;
let outbox: Outbox;
let sender: BatchSender;
/** Texts in the order the connector was called with them. */
const calls: string[] = [];
/** While set, the connector's calls wait for it (a provider call in progress, or a process about to die). */
let gate: Promise<void> | null = null;

/** A text starting with this is refused by the provider as a passing condition. */
const UNAVAILABLE = 'unavailable:';

/** A webhook-kind connector that cannot tell a resend from a new message (deduplicatesSends false). */
const connector: ChannelConnector = {
  kind: 'webhook',
  async send(message: OutboundSend) {
    calls.push(message.text ?? '');
    if (gate) await gate;
    if (message.text?.startsWith(UNAVAILABLE)) throw new UnavailableError('the service answered 503');
    return { providerMessageId: `p-${message.messageId}` };
  },
};

/** A sender with its own retry policy (the Outbox's, in the product). */
function senderWith(retry: { attempts: number; backoffMs: number }): BatchSender {
  return new BatchSender({
    orm: env.orm,
    connectors: new ConnectorRegistry().register(connector, { deduplicatesSends: false }),
    logger,
    clock: systemClock,
    retry,
  });
}

async function sql<Row>(text: string, bindings: Record<string, unknown> = {}): Promise<Row[]> {
  return (await testSql<Row>(env.orm.em.fork(), text, bindings)).rows;
}

/** A webhook channel with `conversations` conversations, each with `texts` queued in order; answers the message ids and the channel. */
async function queued(conversations: number, texts: string[]): Promise<{ channelId: string; messageIds: string[] }> {
  const workspaceId = newId();
  const channelId = newId();
  await sql(`insert into workspaces (id, name) values (:workspaceId, 'Batch sender')`, { workspaceId });
  await sql(
    `insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'webhook', 'Hook', 'connected')`,
    { channelId, workspaceId },
  );
  const messageIds: string[] = [];
  for (let k = 0; k < conversations; k++) {
    const contactId = newId();
    const conversationId = newId();
    await sql(`insert into contacts (id, workspace_id, phone) values (:contactId, :workspaceId, :phone)`, {
      contactId,
      workspaceId,
      phone: `+1555800${String(k).padStart(4, '0')}`,
    });
    await sql(
      `insert into conversations (id, workspace_id, channel_id, contact_id) values (:conversationId, :workspaceId, :channelId, :contactId)`,
      { conversationId, workspaceId, channelId, contactId },
    );
    for (const text of texts) {
      const { messageId } = await outbox.send({
        workspaceId,
        conversationId,
        type: 'text',
        text: `${text} ${k}`,
        idempotencyKey: newId(),
        sender: 'bot',
      });
      messageIds.push(messageId);
    }
  }
  // outbox.send dispatched single send jobs; nothing consumes them here, and the batch is what sends.
  await queues.queue(sendQueueName(channelId)).obliterate({ force: true });
  return { channelId, messageIds };
}

async function inFlight(messageIds: string[]): Promise<number> {
  const [row] = await sql<{ n: number }>(
    `select count(*)::int as n from messages where id = any(cast(:ids as uuid[])) and metadata #> '{send,inFlightSince}' is not null`,
    { ids: messageIds },
  );
  return row!.n;
}

beforeAll(async () => {
  env = await createTestEnv();
  queues = new QueueFactory(env.redis, env.config.redisPrefix);
  outbox = new Outbox({ orm: env.orm, queues, logger, clock: systemClock });
  sender = new BatchSender({
    orm: env.orm,
    connectors: new ConnectorRegistry().register(connector, { deduplicatesSends: false }),
    logger,
    clock: systemClock,
  });
});

afterAll(async () => {
  await queues?.close();
  await env?.cleanup();
});

describe('a batch for a connector that cannot tell a resend from a new message', () => {
  it('claims no more messages than it sends at once, so a crash puts no more of them in doubt than single send jobs', async () => {
    const { channelId, messageIds } = await queued(4, ['hello']);
    let open!: () => void;
    gate = new Promise<void>((resolve) => (open = resolve));
    const sending = sender.send(messageIds, queues.queue<SendJobData>(sendQueueName(channelId)), 1, 1);
    try {
      await expect.poll(() => calls.length).toBeGreaterThan(0);
      // The first provider call is in progress: had the process died now, only its message would be in doubt.
      expect(await inFlight(messageIds)).toBe(1);
    } finally {
      gate = null;
      open();
    }
    expect(await sending).toEqual({ sent: 4, failed: 0, handedOff: 0, alreadyHandled: 0 });
    expect(await inFlight(messageIds)).toBe(0);
  });

  it("sends a conversation's messages of one batch itself, in order, claiming each once the one before is sent", async () => {
    calls.length = 0;
    const { channelId, messageIds } = await queued(1, ['one', 'two', 'three']);
    expect(await sender.send(messageIds, queues.queue<SendJobData>(sendQueueName(channelId)), 1, 1)).toEqual({
      sent: 3,
      failed: 0,
      handedOff: 0,
      alreadyHandled: 0,
    });
    expect(calls).toEqual(['one 0', 'two 0', 'three 0']);
    const rows = await sql<{ status: string }>(`select status from messages where id = any(cast(:ids as uuid[])) order by id`, {
      ids: messageIds,
    });
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
  });

  it("claimed all at once, hands a conversation's later messages to single send jobs", async () => {
    const { channelId, messageIds } = await queued(1, ['first', 'second']);
    const queue = queues.queue<SendJobData>(sendQueueName(channelId));
    expect(await sender.send(messageIds, queue, 1)).toEqual({ sent: 1, failed: 0, handedOff: 1, alreadyHandled: 0 });
    expect(await queue.getJob(messageIds[1]!)).toBeDefined();
  });
});

describe('a provider call that fails with a passing condition', () => {
  it('hands the message to a single send job with the injected retry policy, after its first backoff step', async () => {
    const { channelId, messageIds } = await queued(1, [UNAVAILABLE]);
    const queue = queues.queue<SendJobData>(sendQueueName(channelId));
    expect(await senderWith({ attempts: 3, backoffMs: 70 }).send(messageIds, queue, 1)).toEqual({
      sent: 0,
      failed: 0,
      handedOff: 1,
      alreadyHandled: 0,
    });
    const job = await queue.getJob(messageIds[0]!);
    expect(job?.opts).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 70 }, delay: 70 });
    const [row] = await sql<{ status: string; error: string | null }>(
      `select status, metadata #>> '{send,lastError}' as error from messages where id = :id`,
      { id: messageIds[0] },
    );
    expect(row).toEqual({ status: 'queued', error: 'unavailable: the service answered 503' });
  });

  it('fails the message when the policy allows one attempt, as a single send job does', async () => {
    const { channelId, messageIds } = await queued(1, [UNAVAILABLE]);
    const queue = queues.queue<SendJobData>(sendQueueName(channelId));
    expect(await senderWith({ attempts: 1, backoffMs: 70 }).send(messageIds, queue, 1)).toEqual({
      sent: 0,
      failed: 1,
      handedOff: 0,
      alreadyHandled: 0,
    });
    expect(await queue.getJob(messageIds[0]!)).toBeUndefined();
    const [row] = await sql<{ status: string; error: string | null }>(
      `select status, failure_reason as error from messages where id = :id`,
      {
        id: messageIds[0],
      },
    );
    expect(row).toEqual({ status: 'failed', error: 'unavailable: the service answered 503' });
  });
});

describe('a queued message whose stored media would not pass today’s input rules', () => {
  it('is still claimed and sent: a row is read by its stored shape, not refused as input', async () => {
    calls.length = 0;
    const { channelId, messageIds } = await queued(1, ['with media']);
    // Written before a rule changed (a relative URL, a caption longer than the input allows).
    await sql(`update messages set type = 'image', media = cast(:media as jsonb) where id = :id`, {
      id: messageIds[0],
      media: JSON.stringify({ url: 'media/legacy.jpg', caption: 'c'.repeat(5_000), mimeType: 'image/jpeg' }),
    });
    expect(await sender.send(messageIds, queues.queue<SendJobData>(sendQueueName(channelId)), 1)).toEqual({
      sent: 1,
      failed: 0,
      handedOff: 0,
      alreadyHandled: 0,
    });
  });
});
