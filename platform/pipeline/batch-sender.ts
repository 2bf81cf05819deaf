import type { EntityManager } from '@mikro-orm/postgresql';
import type { Queue } from 'bullmq';
import type { ChannelKind } from '../../engine/channels/channel-kind.ts';
import type { Clock } from '../../engine/clock.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logger.ts';
import type { ConnectorRegistry } from './connector-registry.ts';
import {
  claimSends,
  recordFailed,
  recordRetryable,
  recordSent,
  sendRefusal,
  toOutboundSend,
  type SendRow,
  type SendState,
} from './send-claim.ts';
import { DEFAULT_SEND_RETRY, SEND_JOB_NAME, sendJobOptions, type SendJobData, type SendRetryPolicy } from './send-job.ts';
import { decideSendFailure } from './send-failure.ts';
import { handOverOf, wakeSends } from './send-message.processor.ts';

/** What became of a batch's messages. */
export interface BatchSendResult {
  sent: number;
  failed: number;
  /** Given to single send jobs: waiting behind an earlier message of their conversation, or to be retried. */
  handedOff: number;
  /** No longer queued (an earlier attempt finished them) or gone. */
  alreadyHandled: number;
}

/**
 * Sends many queued messages of one channel with a few statements instead of a few per message:
 * one claim for all, the provider calls (at most `concurrency` at once), one statement recording
 * every send. The guarantees are the single send job's (SendMessageProcessor): an attempt is
 * marked in flight before the provider is called, a resend after an interrupted attempt happens
 * only when the connector deduplicates. What a batch cannot finish is handed to the channel's
 * single send jobs, which keep the conversation order, retries with backoff and deferrals:
 * - a message waiting behind an earlier queued message of its conversation;
 * - a failed provider call that decideSendFailure (send-failure.ts, the single job's judge too)
 *   defers or retries: its single job starts after the deferral or the retry policy's first
 *   backoff step; one whose outcome is unknown keeps its attempt in flight for the single job to judge.
 */
export class BatchSender {
  private readonly selfMarkingKinds: readonly ChannelKind[];
  /** The retries of the single send jobs it hands messages to: the Outbox's policy (the same default). */
  private readonly retry: SendRetryPolicy;

  constructor(private readonly deps: { orm: Orm; connectors: ConnectorRegistry; logger: Logger; clock: Clock; retry?: SendRetryPolicy }) {
    this.selfMarkingKinds = deps.connectors.selfMarkingKinds();
    this.retry = deps.retry ?? DEFAULT_SEND_RETRY;
  }

  /**
   * Sends `messageIds` (queued messages of the channel whose send queue is `queue`), claiming them
   * first, `claimAtOnce` at a time (all by default). A claim marks each message's attempt in flight
   * (unless its connector marks the hand-over itself), and an attempt found in flight after a crash
   * fails the message when the connector cannot tell a resend from a new message: for such a
   * connector, a caller claims no more than it sends at once, so that a crash puts no more messages
   * in doubt than single send jobs would.
   */
  async send(
    messageIds: readonly string[],
    queue: Queue<SendJobData>,
    concurrency: number,
    claimAtOnce = messageIds.length,
  ): Promise<BatchSendResult> {
    const total: BatchSendResult = { sent: 0, failed: 0, handedOff: 0, alreadyHandled: 0 };
    const em = this.deps.orm.em.fork();
    for (let start = 0; start < messageIds.length; start += Math.max(1, claimAtOnce)) {
      const ids = messageIds.slice(start, start + Math.max(1, claimAtOnce));
      const rows = await claimSends(em, ids, this.deps.clock.now(), this.selfMarkingKinds);
      const result = await this.sendClaimed(em, rows, queue, concurrency);
      total.sent += result.sent;
      total.failed += result.failed;
      total.handedOff += result.handedOff;
      total.alreadyHandled += ids.length - result.sent - result.failed - result.handedOff;
    }
    return total;
  }

  /** The claim state a caller that records messages already claimed must give them (see SendRow.previousSend). */
  claimedMetadata(kind: ChannelKind, startedAt: Date): SendState {
    return this.selfMarkingKinds.includes(kind) ? { attempts: 1 } : { attempts: 1, inFlightSince: startedAt.toISOString() };
  }

  /**
   * Sends rows claimed by `claimSends`, or recorded already claimed by their caller (a broadcast
   * batch inserts its messages with the attempt counted and marked in flight: one write fewer per
   * message). Rows not queued any more are left alone; rows with no claim are handed off.
   */
  async sendClaimed(em: EntityManager, rows: readonly SendRow[], queue: Queue<SendJobData>, concurrency: number): Promise<BatchSendResult> {
    const handOff: { messageId: string; delayMs: number }[] = [];
    const sent: { messageId: string; providerMessageId: string }[] = [];
    const failures: { messageId: string; reason: string }[] = [];
    const sendable: SendRow[] = [];
    for (const row of rows) {
      if (row.status !== 'queued') continue;
      if (row.previousSend === null) {
        handOff.push({ messageId: row.id, delayMs: 0 });
        continue;
      }
      const refusal = sendRefusal(row, this.deps.connectors.get(row.channelKind));
      if (refusal !== null) failures.push({ messageId: row.id, reason: refusal });
      else sendable.push(row);
    }

    await forEachConcurrently(sendable, concurrency, async (row) => {
      const registered = this.deps.connectors.get(row.channelKind)!;
      try {
        const receipt = await registered.connector.send(toOutboundSend(row), handOverOf(em, row.id, this.deps.clock));
        sent.push({ messageId: row.id, providerMessageId: receipt.providerMessageId });
      } catch (err) {
        // Judged as a first attempt: a message handed off gets a single job with the policy's attempts in full.
        const decision = decideSendFailure(
          err,
          { queuedAt: row.queuedAt, attemptsMade: 0, attempts: this.retry.attempts },
          this.deps.clock.now(),
        );
        switch (decision.kind) {
          case 'outcome-unknown':
            this.deps.logger.warn({ err, messageId: row.id }, 'batch send failed with an unexpected error; its single send job decides');
            handOff.push({ messageId: row.id, delayMs: this.retry.backoffMs });
            break;
          case 'defer':
            await recordRetryable(em, row.id, decision.reason);
            handOff.push({ messageId: row.id, delayMs: decision.delayMs });
            break;
          case 'retry':
            await recordRetryable(em, row.id, decision.reason);
            handOff.push({ messageId: row.id, delayMs: this.retry.backoffMs });
            break;
          case 'fail':
            failures.push({ messageId: row.id, reason: decision.reason });
            break;
        }
      }
    });

    const next = await recordSent(em, sent, this.deps.clock.now());
    for (const failure of failures) {
      const after = await recordFailed(em, failure.messageId, failure.reason, this.deps.clock.now());
      if (after !== null) next.push(after);
    }
    if (failures.length > 0) this.deps.logger.warn({ count: failures.length, first: failures[0] }, 'batch: outbound messages failed');
    if (handOff.length > 0) {
      await queue.addBulk(
        handOff.map((h) => ({
          name: SEND_JOB_NAME,
          data: { messageId: h.messageId },
          opts: { ...sendJobOptions(h.messageId, this.retry), delay: h.delayMs },
        })),
      );
    }
    await wakeSends(queue, next, this.deps.logger);
    return {
      sent: sent.length,
      failed: failures.length,
      handedOff: handOff.length,
      alreadyHandled: rows.length - sent.length - failures.length - handOff.length,
    };
  }
}

/** Runs `fn` over `items` with at most `concurrency` calls pending at once. */
async function forEachConcurrently<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(lanes);
}
