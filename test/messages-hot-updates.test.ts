import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { systemClock } from '../engine/clock.ts';
import { newId } from '../platform/ids.ts';
import { InboundPipeline } from '../platform/pipeline/inbound-pipeline.ts';
import { claimSends, recordSentEach } from '../platform/pipeline/send-claim.ts';
import { applyStatusBatch } from '../platform/pipeline/status-updater.ts';
import { testSql } from './support/test-sql.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

/*
 * An outbound message is written four times after its insert. The claim and the receipts must be
 * HOT updates (no index entry, the new version in the same page): for that no index of messages
 * may use a column they change, and the pages need room (migration 20261211010000).
 */
let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
});

afterAll(async () => {
  await env?.cleanup();
});

async function queuedReply(): Promise<{ messageId: string; channelId: string }> {
  const workspaceId = newId();
  const channelId = newId();
  const em = env.orm.em.fork();
  await testSql(em, `insert into workspaces (id, name) values (:workspaceId, 'HOT test')`, { workspaceId });
  await testSql(
    em,
    `insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'sandbox', 'Sandbox', 'connected')`,
    {
      channelId,
      workspaceId,
    },
  );
  const pipeline = new InboundPipeline({ orm: env.orm, logger: pino({ level: 'silent' }), clock: systemClock });
  const inbound = await pipeline.accept({
    channelId,
    providerMessageId: newId(),
    from: { phone: '+15550001000', name: 'Ada' },
    type: 'text',
    text: 'hi',
  });
  const messageId = newId();
  await testSql(
    em,
    `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, status, status_times)
     values (:messageId, :workspaceId, :channelId, :conversationId, :contactId, 'outbound', 'bot', 'text', 'hello', 'queued', jsonb_build_object('queued', now()))`,
    { messageId, workspaceId, channelId, conversationId: inbound.conversationId, contactId: inbound.contactId },
  );
  return { messageId, channelId };
}

describe('updates of an outbound message', () => {
  it('makes the claim and the delivered and read receipts HOT updates; the record of the send, which sets the indexed provider id, is not', async () => {
    const { messageId, channelId } = await queuedReply();
    const providerMessageId = `sandbox:${messageId}`;
    const counts: { step: string; updates: number; hot: number }[] = [];
    await env.orm.em.fork().transactional(async (em) => {
      // This transaction's own counts: the statements below run in it.
      const count = async (step: string) => {
        const { rows } = await testSql<{ updates: number; hot: number }>(
          em,
          `select cast(n_tup_upd as int) as updates, cast(n_tup_hot_upd as int) as hot from pg_stat_xact_user_tables where relname = 'messages'`,
        );
        counts.push({ step, ...rows[0]! });
      };
      expect(await claimSends(em, [messageId], new Date(), [])).toHaveLength(1);
      await count('claim');
      expect(await recordSentEach(em, [{ messageId, providerMessageId }], new Date())).toEqual(new Map([[messageId, null]]));
      await count('sent');
      expect(await applyStatusBatch(em, [{ channelId, providerMessageId, status: 'delivered', at: new Date() }])).toEqual([true]);
      await count('delivered');
      expect(await applyStatusBatch(em, [{ channelId, providerMessageId, status: 'read', at: new Date() }])).toEqual([true]);
      await count('read');
    });
    expect(counts).toEqual([
      { step: 'claim', updates: 1, hot: 1 },
      { step: 'sent', updates: 2, hot: 1 },
      { step: 'delivered', updates: 3, hot: 2 },
      { step: 'read', updates: 4, hot: 3 },
    ]);
  });

  it('keeps a fifth of each new page of messages free for the versions that follow', async () => {
    const { rows } = await testSql<{ options: string[] | null }>(
      env.orm.em.fork(),
      `select reloptions as options from pg_class where relname = 'messages'`,
    );
    expect(rows[0]!.options).toEqual(['fillfactor=80']);
  });
});
