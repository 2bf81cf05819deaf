import { DelayedError, Job, UnrecoverableError, type Queue } from 'bullmq';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ChannelKind } from '../../engine/channels/channel-kind.ts';
import type { Clock } from '../../engine/clock.ts';
import type { SendHandOver } from '../../engine/ports/channel-connector.port.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import type { ConnectorRegistry } from './connector-registry.ts';
import { GroupCommit } from './group-commit.ts';
import {
  claimSends,
  markInFlight,
  recordFailed,
  recordRetryable,
  recordSentEach,
  sendRefusal,
  toOutboundSend,
  type SendRow,
  type SentMessage,
} from './send-claim.ts';
import type { SendJobData } from './send-job.ts';
import { decideSendFailure } from './send-failure.ts';

/** What the processor did with a job (the job's return value, visible in the dashboard). */
export type SendOutcome = 'sent' | 'already-handled' | 'missing';

/*
 * How long a message waits for an earlier message of its conversation to leave before it looks
 * again: short at first (the earlier one is usually being sent right now), longer the older the
 * job (the earlier one may be in a retry backoff), so a long wait does not become a busy loop.
 */
const ORDER_WAIT_MIN_MS = 20;
const ORDER_WAIT_MAX_MS = 1_000;

function orderWaitMs(jobAgeMs: number): number {
  return Math.min(ORDER_WAIT_MAX_MS, Math.max(ORDER_WAIT_MIN_MS, Math.round(jobAgeMs / 4)));
}

/*
 * The claims (and the sends recorded) of the jobs running at once in this process, every channel's,
 * are written together: one statement and one commit for many jobs (see GroupCommit). The bound
 * keeps a statement, and the row locks it holds, short when a burst of jobs is waiting.
 */
const MAX_SENDS_PER_STATEMENT = 100;

/**
 * Sends one queued message through its channel's connector, at most once:
 * - a message no longer `queued` was handled by an earlier job: nothing is sent;
 * - the attempt is recorded before the provider is called; finding it still in flight means a
 *   worker died mid-send, and the message is resent only if the connector deduplicates sends
 *   (otherwise it fails with `send_outcome_unknown`);
 * - a failed provider call is judged by decideSendFailure (send-failure.ts), as in a batch: deferred
 *   without spending an attempt, retried with the job's backoff, failed with the reason, or left in
 *   flight when whether the provider took the message is unknown.
 * The claim and the record of the send share their statements with the other jobs running here
 * (GroupCommit); a statement that fails fails the jobs it served, which retry as any failed job.
 */
export class SendMessageProcessor {
  /** Channel kinds whose connectors mark the hand-over themselves, for the claim statement. */
  private readonly selfMarkingKinds: readonly ChannelKind[];
  /** Message id → its row with the attempt claimed, or null when the message is gone. */
  private readonly claims: GroupCommit<string, SendRow | null>;
  /** A send to record → the next queued message of its conversation, to wake. */
  private readonly sentRecords: GroupCommit<SentMessage, string | null>;

  constructor(private readonly deps: { orm: Orm; connectors: ConnectorRegistry; logger: Logger; clock: Clock }) {
    this.selfMarkingKinds = deps.connectors.selfMarkingKinds();
    // One message twice in a statement (a stalled job run again here while its first run goes on)
    // would be claimed once and sent by both: apart, the second sees the first's attempt in flight.
    this.claims = new GroupCommit((messageIds) => this.claimTogether(messageIds), {
      maxItems: MAX_SENDS_PER_STATEMENT,
      keyOf: (messageId) => messageId,
    });
    this.sentRecords = new GroupCommit((sent) => this.recordSentTogether(sent), {
      maxItems: MAX_SENDS_PER_STATEMENT,
      keyOf: (s) => s.messageId,
    });
  }

  /** The BullMQ processor for send jobs; `queue` is the job's own, to wake the conversation's next message. */
  async process(job: Job<SendJobData>, token?: string, queue?: Queue<SendJobData>): Promise<SendOutcome> {
    const em = this.deps.orm.em.fork();
    const { messageId } = job.data;
    const row = await this.claims.submit(messageId);
    if (!row) return 'missing';
    if (row.status !== 'queued') return 'already-handled';
    if (row.previousSend === null) {
      // An earlier message of the conversation is still queued (or this one changed meanwhile):
      // look again shortly, without spending one of the job's attempts.
      const now = this.deps.clock.now().getTime();
      await job.moveToDelayed(now + orderWaitMs(now - job.timestamp), token);
      throw new DelayedError();
    }

    const fail = (reason: string) => this.fail(em, queue, messageId, reason);
    const registered = this.deps.connectors.get(row.channelKind);
    const refusal = sendRefusal(row, registered);
    if (refusal !== null || !registered) return fail(refusal ?? `no connector for ${row.channelKind} channels`);
    if (row.previousSend.inFlightSince !== undefined) {
      this.deps.logger.warn(
        { messageId, since: row.previousSend.inFlightSince },
        'resending after an interrupted attempt; the connector deduplicates',
      );
    }

    let providerMessageId: string;
    try {
      ({ providerMessageId } = await registered.connector.send(toOutboundSend(row), handOverOf(em, messageId, this.deps.clock)));
    } catch (err) {
      return this.onSendError(em, job, token, row, err, fail);
    }
    const next = await this.sentRecords.submit({ messageId, providerMessageId });
    await wakeSends(queue, next === null ? [] : [next], this.deps.logger);
    return 'sent';
  }

  /*
   * The statements of several jobs run on a fork of their own, not on one of the jobs' (CLAIM_SQL
   * keeps a conversation's order inside one statement too: a message is claimed only when no
   * earlier message of its conversation is queued in the statement's snapshot).
   */
  private async claimTogether(messageIds: string[]): Promise<(SendRow | null)[]> {
    const rows = await claimSends(this.deps.orm.em.fork(), messageIds, this.deps.clock.now(), this.selfMarkingKinds);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return messageIds.map((id) => byId.get(id) ?? null);
  }

  private async recordSentTogether(sent: SentMessage[]): Promise<(string | null)[]> {
    const next = await recordSentEach(this.deps.orm.em.fork(), sent, this.deps.clock.now());
    return sent.map((s) => next.get(s.messageId) ?? null);
  }

  /** Acts on the failure's decision (see decideSendFailure) with the job's own retries and delays. */
  private async onSendError(
    em: EntityManager,
    job: Job<SendJobData>,
    token: string | undefined,
    row: SendRow,
    err: unknown,
    fail: (reason: string) => Promise<never>,
  ): Promise<never> {
    const now = this.deps.clock.now();
    const decision = decideSendFailure(
      err,
      { queuedAt: row.queuedAt, attemptsMade: job.attemptsMade, attempts: job.opts.attempts ?? 1 },
      now,
    );
    switch (decision.kind) {
      case 'outcome-unknown':
        // The attempt stays in flight: the job's next attempt resends only if the connector deduplicates.
        throw err;
      case 'defer':
        await recordRetryable(em, row.id, decision.reason);
        await job.moveToDelayed(now.getTime() + decision.delayMs, token);
        throw new DelayedError();
      case 'retry':
        await recordRetryable(em, row.id, decision.reason);
        throw err;
      case 'fail':
        return fail(decision.reason);
    }
  }

  /** Marks the message failed, wakes the conversation's next message, and fails the job without retries. */
  private async fail(em: EntityManager, queue: Queue<SendJobData> | undefined, messageId: string, reason: string): Promise<never> {
    const next = await recordFailed(em, messageId, reason, this.deps.clock.now());
    this.deps.logger.warn({ messageId, reason }, 'outbound message failed');
    await wakeSends(queue, next === null ? [] : [next], this.deps.logger);
    throw new UnrecoverableError(reason);
  }
}

/** The hand-over marker a connector calls just before the provider call. */
export function handOverOf(em: EntityManager, messageId: string, clock: Clock): SendHandOver {
  return { handingOver: () => markInFlight(em, messageId, clock.now()) };
}

/*
 * The next message of a conversation waits in the delayed set for the previous one to leave; its
 * own delay is the fallback when the wake is missed (it was not delayed yet, Redis failed).
 */
export async function wakeSends(queue: Queue<SendJobData> | undefined, messageIds: readonly string[], logger: Logger): Promise<void> {
  if (!queue) return;
  for (const messageId of messageIds) {
    try {
      const next = await Job.fromId(queue, messageId);
      if (next && (await next.isDelayed())) await next.promote();
    } catch (err) {
      logger.debug({ err, messageId }, 'could not wake the next send of the conversation; its delay will');
    }
  }
}
