import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Clock } from '../../engine/clock.ts';
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
import type { PendingMessage } from './conversation-drain.sql.ts';
import { emitEvent } from '../webhooks/webhook-events.ts';
import { messageReceivedEvent } from '../webhooks/event-payloads.ts';

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
