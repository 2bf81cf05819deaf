import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Clock } from '../../engine/clock.ts';
import { StoredWeeklyHoursSchema } from '../../engine/flows/nodes/business-hours.node.ts';
import { MAX_RUNS_PER_CONTACT_PER_MINUTE } from '../../engine/runs/run-types.ts';
import { runSql } from '../pipeline/run-sql.ts';
import type { AfterCommit } from './after-commit.ts';
import type { FlowCache } from './flow-cache.ts';
import type { RunExecutor } from './run-executor.ts';
import type { RunWriteBatch } from './run-write-batch.ts';
import { optInContact, optOutContact } from '../contacts/contact-consent.sql.ts';
import { lockRun, lockWaitingRunsOfContact, stopRun } from './run-store.ts';
import { flowCallsOut } from '../../engine/flows/node-catalog.ts';
import { compileTriggerIndex, matchTriggers } from '../../engine/flows/trigger-match.ts';
import { describeTriggers } from '../../engine/flows/trigger-overlap.ts';
import type { Flow } from '../../engine/flows/flow.schema.ts';
import type { WorkspaceTriggers } from './workspace-triggers.ts';
import { emitEvent } from '../webhooks/webhook-events.ts';
import { messageReceivedEvent } from '../webhooks/webhook-event-payloads.ts';

/** The window of the per-contact run limit. */
export const RUN_LIMIT_WINDOW_MS = 60_000;

const FLOW_OF_VERSION_SQL = `select flow_id as "flowId" from flow_versions where id = :versionId`;
const FlowOfVersionRow = z.object({ flowId: z.string() });

/** The flow a (test) version belongs to. */
async function testFlowIdOf(em: EntityManager, versionId: string): Promise<string> {
  const { rows } = await runSql(em, FLOW_OF_VERSION_SQL, { versionId }, { row: FlowOfVersionRow });
  return rows[0]!.flowId;
}

/**
 * What handling one inbound message did. The drain logs it; the test chat stores it as the
 * message's `metadata.outcome.code`, so a value, once shipped, is kept as it is.
 */
export type InboundOutcome =
  /** A global stop keyword: the contact is opted out, its waiting runs stopped. */
  | 'opted_out'
  /** A global start keyword: the contact is opted back in. */
  | 'opted_in'
  /** The contact opted out, is restricted or erased: nothing automated answers it. */
  | 'contact_blocked'
  /** The conversation was handed to a person. */
  | 'bot_paused'
  /** The run waiting for a reply in the conversation got the message. */
  | 'resumed'
  /** Only flows published after the message arrived match it: it is not replayed into them. */
  | 'published_after_arrival'
  | 'no_match'
  /** A trigger matched, but the contact reached MAX_RUNS_PER_CONTACT_PER_MINUTE. */
  | 'run_limit'
  | 'started';

/**
 * What the test chat shows under a message that started or resumed nothing, in words; null when a
 * run took it. No default: an outcome without a case here fails to compile (a path without a return).
 */
export function explainOutcome(outcome: InboundOutcome, flow: Flow): string | null {
  switch (outcome) {
    case 'no_match':
      return `No trigger matched: this flow listens for ${describeTriggers(flow)}.`;
    case 'opted_out':
      return 'This is a stop keyword: the test contact is now opted out and receives nothing automated. Start over as a new contact to test again.';
    case 'opted_in':
      return 'This is a start keyword: the test contact opted back in.';
    case 'contact_blocked':
      return 'The test contact opted out, so nothing automated answers it. Start over as a new contact.';
    case 'bot_paused':
      return 'The bot is paused in this conversation (it was handed to a person): nothing started.';
    case 'run_limit':
      return `Too many runs started for this contact in the last minute (at most ${MAX_RUNS_PER_CONTACT_PER_MINUTE}): this message started nothing.`;
    case 'started':
    case 'resumed':
      return null;
    case 'published_after_arrival':
      // Never in the test chat: its pinned flow counts as published at 0 (see handle).
      return null;
  }
}

/*
 * The oldest unhandled inbound message of each conversation asked for (`more`: it has others
 * after it), with the facts the handler needs, locking the contact rows (lockContact explains the
 * lock order; several contacts are locked in id order, so that two batches never wait on each
 * other in a cycle). Run only after the conversations' advisory locks are held, in a statement of
 * its own: a statement reads from a snapshot taken when it starts, so a read folded into the
 * statement that takes the lock could miss what the previous holder committed just before
 * releasing it (its message handled, its run now waiting for this reply), and handle a message twice.
 */
export const NEXT_PENDING_SQL = `
select m.id, m.workspace_id as "workspaceId", m.channel_id as "channelId", m.conversation_id as "conversationId", m.contact_id as "contactId",
       m.type, m.text, m.created_at as "receivedAt", conv.bot_paused as "botPaused", conv.status as "conversationStatus",
       (c.opted_out_at is not null or c.restricted_at is not null or c.erased_at is not null) as "contactBlocked",
       json_build_object('phone', c.phone, 'name', c.name, 'attributes', c.attributes, 'tags', c.tags) as contact,
       not exists (select 1 from messages p where p.conversation_id = m.conversation_id and p.direction = 'inbound' and p.id < m.id) as "isFirstMessage",
       w.timezone, w.business_hours as "businessHours", oldest.more,
       waiting.id as "waitingRunId", waiting.flow_version_id as "waitingRunFlowVersionId",
       (select count(*)::int from runs r where r.contact_id = m.contact_id and r.started_at > cast(:since as timestamptz)) as "recentRuns",
       case when c.is_test then m.metadata #>> '{test,flowVersionId}' end as "testFlowVersionId"
  from unnest(cast(:conversationIds as uuid[])) as asked(id)
  cross join lateral (
    select u.id, exists (select 1 from messages n where n.conversation_id = asked.id and n.direction = 'inbound' and n.handled_at is null and n.id > u.id) as more
      from messages u
     where u.conversation_id = asked.id and u.direction = 'inbound' and u.handled_at is null
     order by u.id
     limit 1
  ) oldest
  join messages m on m.id = oldest.id
  join conversations conv on conv.id = m.conversation_id
  join contacts c on c.id = m.contact_id
  join workspaces w on w.id = m.workspace_id
  left join lateral (
    select r.id, r.flow_version_id from runs r
     where r.conversation_id = m.conversation_id and r.status = 'waiting' and r.wait ->> 'kind' = 'reply'
     order by r.started_at desc
     limit 1
  ) waiting on true
 order by c.id, m.id
   for no key update of c`;

/** An unhandled inbound message of a conversation, with everything deciding about it needs (a row of NEXT_PENDING_SQL). */
export const PendingMessageRow = z.object({
  id: z.string(),
  workspaceId: z.string(),
  channelId: z.string(),
  conversationId: z.string(),
  contactId: z.string(),
  type: z.string(),
  text: z.string().nullable(),
  /** When the message was accepted (its row's created_at). */
  receivedAt: z.date(),
  botPaused: z.boolean(),
  conversationStatus: z.string(),
  contactBlocked: z.boolean(),
  contact: z.object({
    phone: z.string().nullable(),
    name: z.string().nullable(),
    attributes: z.record(z.string(), z.unknown()),
    tags: z.array(z.string()),
  }),
  isFirstMessage: z.boolean(),
  timezone: z.string(),
  /** Null until an admin sets the workspace's hours. */
  businessHours: StoredWeeklyHoursSchema.nullable(),
  /** The run of the conversation waiting for a reply, if any (locked by the handler when used), and its version. */
  waitingRunId: z.string().nullable(),
  waitingRunFlowVersionId: z.string().nullable(),
  /** The conversation has further unhandled messages after this one. */
  more: z.boolean(),
  /** Runs started for the contact since `:since` (the loop limit). */
  recentRuns: z.number(),
  /**
   * The flow version the editor's test chat pinned this message to (a draft snapshot or the
   * published version): only that flow's triggers are tried. Honoured for test contacts only.
   */
  testFlowVersionId: z.string().nullable(),
});
export type PendingMessage = z.infer<typeof PendingMessageRow>;

/**
 * Decides what one inbound message does, inside the conversation's lock: a global opt-out
 * keyword opts the contact out; a blocked contact or a paused bot starts nothing; a run
 * waiting for a reply gets the message; otherwise the best matching published trigger starts
 * a run, within the per-contact run limit.
 */
export class InboundHandler {
  constructor(
    private readonly deps: {
      executor: RunExecutor;
      flows: FlowCache<WorkspaceTriggers>;
      clock: Clock;
    },
  ) {}

  /**
   * Whether handling the message may wait on an outside system (an HTTP request step): the run it
   * would resume or any active flow of the workspace (a trigger match can start another flow)
   * has such a node. Those messages are handled in a transaction of their own, never in a batch.
   */
  async mayCallOut(em: EntityManager, msg: PendingMessage, triggers: WorkspaceTriggers): Promise<boolean> {
    // A test chat message is rare and tries another index than the workspace's: handled on its own.
    if (triggers.callsOut || msg.testFlowVersionId !== null) return true;
    return msg.waitingRunFlowVersionId !== null && flowCallsOut((await this.deps.flows.version(em, msg.waitingRunFlowVersionId)).document);
  }

  /** The workspace's trigger index as of now (a batch reads it once per workspace). */
  triggers(em: EntityManager, workspaceId: string): Promise<WorkspaceTriggers> {
    return this.deps.flows.index(em, workspaceId);
  }

  /**
   * Handles the message. `batch`: the caller handles it with others in one transaction; it read
   * the workspace's triggers already, and the new rows wait in its write batch.
   */
  async handle(
    em: EntityManager,
    msg: PendingMessage,
    after: AfterCommit,
    batch?: { triggers: WorkspaceTriggers; writes: RunWriteBatch },
  ): Promise<InboundOutcome> {
    // In the transaction that marks the message handled: one event per message, committed with it.
    await emitEvent(em, messageReceivedEvent(msg));
    if (msg.testFlowVersionId === null)
      return this.decide(em, msg, after, batch?.triggers ?? (await this.deps.flows.index(em, msg.workspaceId)), batch);
    // The test chat: the workspace's global keywords, and the pinned version's triggers only.
    const workspace = await this.deps.flows.index(em, msg.workspaceId);
    const pinned = await this.deps.flows.version(em, msg.testFlowVersionId);
    const flowId = await testFlowIdOf(em, msg.testFlowVersionId);
    const index = {
      ...compileTriggerIndex([{ flowId, versionId: msg.testFlowVersionId, publishedAt: new Date(0), flow: pinned.document }]),
      globalKeywords: workspace.globalKeywords,
      callsOut: true,
      firstPublishedAt: { [flowId]: 0 },
    };
    const outcome = await this.decide(em, msg, after, index);
    const explanation = explainOutcome(outcome, pinned.document);
    await runSql(
      em,
      `update messages set metadata = metadata || jsonb_build_object('outcome', jsonb_build_object('code', cast(:code as text), 'explanation', cast(:explanation as text))) where id = :id`,
      { id: msg.id, code: outcome, explanation },
    );
    return outcome;
  }

  private async decide(
    em: EntityManager,
    msg: PendingMessage,
    after: AfterCommit,
    index: WorkspaceTriggers,
    batch?: { triggers: WorkspaceTriggers; writes: RunWriteBatch },
  ): Promise<InboundOutcome> {
    const now = this.deps.clock.now();
    const messageFacts = { id: msg.id, text: msg.text, type: msg.type };
    const contact = { id: msg.contactId, ...msg.contact };
    const result = matchTriggers(index, {
      message: { channelId: msg.channelId, type: msg.type, text: msg.text ?? undefined, id: msg.id },
      contact,
      conversation: { id: msg.conversationId, status: msg.conversationStatus, isFirstMessage: msg.isFirstMessage },
    });
    // Global keywords work whatever the flows say, and for paused bots too.
    if (result.globalKeyword?.action === 'opt_out') {
      await optOutContact(em, {
        workspaceId: msg.workspaceId,
        contactId: msg.contactId,
        source: 'keyword',
        channelId: msg.channelId,
        at: now,
      });
      for (const run of await lockWaitingRunsOfContact(em, msg.contactId))
        await stopRun(em, run.id, 'opted_out: the contact asked to stop', now);
      return 'opted_out';
    }
    if (result.globalKeyword?.action === 'opt_in') {
      await optInContact(em, {
        workspaceId: msg.workspaceId,
        contactId: msg.contactId,
        source: 'keyword',
        channelId: msg.channelId,
        at: now,
      });
      return 'opted_in';
    }
    if (msg.contactBlocked) return 'contact_blocked';
    if (msg.botPaused) return 'bot_paused';

    // The contact is locked (the drain's first statement) and reachable (checked above).
    const advance = { contact: { lockedReachable: true }, ...(batch ? { writes: batch.writes } : {}) };
    const waiting = msg.waitingRunId ? await lockRun(em, msg.waitingRunId) : null;
    if (waiting && waiting.status === 'waiting' && waiting.wait?.kind === 'reply') {
      await this.deps.executor.resume(em, waiting, { kind: 'reply', message: messageFacts }, after, advance);
      return 'resumed';
    }

    // Only flows published before the message arrived: a message handled late (no worker was
    // running, or seeded history) is never replayed into a flow published after it.
    const receivedAt = msg.receivedAt.getTime();
    const match = result.matches.find((m) => (index.firstPublishedAt[m.flowId] ?? 0) <= receivedAt);
    if (!match) return result.matches.length ? 'published_after_arrival' : 'no_match';
    const trigger = { kind: 'message', messageId: msg.id };
    const params = {
      workspaceId: msg.workspaceId,
      flowId: match.flowId,
      flowVersionId: match.versionId,
      triggerNodeId: match.nodeId,
      contactId: msg.contactId,
      conversationId: msg.conversationId,
      channelId: msg.channelId,
      trigger,
      message: messageFacts,
      // The facts the run would load, read by the drain's statement already.
      facts: {
        contact,
        message: messageFacts,
        conversation: { id: msg.conversationId, channelId: msg.channelId, status: msg.conversationStatus },
        trigger,
        workspace: { id: msg.workspaceId, timezone: msg.timezone, businessHours: msg.businessHours },
      },
    };
    if (msg.recentRuns >= MAX_RUNS_PER_CONTACT_PER_MINUTE) {
      await this.deps.executor.refuse(
        em,
        params,
        `run_limit: ${MAX_RUNS_PER_CONTACT_PER_MINUTE} runs already started for this contact in the last minute`,
      );
      return 'run_limit';
    }
    await this.deps.executor.start(em, params, after, advance);
    return 'started';
  }
}
