import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Clock } from '../../engine/clock.ts';
import { NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import {
  InboundMessageSchema,
  type AcceptedInbound,
  type InboundListener,
  type InboundMessage,
  type InboundSink,
  type NormalisedInbound,
} from '../../engine/ports/inbound-message.ts';
import type { Orm } from '../db/orm.ts';
import { newId } from '../ids.ts';
import type { Logger } from '../logger.ts';
import { GroupCommit } from './group-commit.ts';
import { runSql } from './run-sql.ts';
import { storeInbound, storeInboundRows, type InboundRow, type StoredInbound } from './store-inbound.sql.ts';
import { InvariantError } from '../../engine/errors/invariant.error.ts';
import { zodIssueDetails } from '../../engine/errors/zod-issue-details.ts';

/** When the store stored nothing: the channel and, when this provider id was stored before, the first message's ids. */
const CHANNEL_AND_DUPLICATE_SQL = `
select ch.workspace_id as "workspaceId", ch.deleted_at as "deletedAt",
       m.id as "messageId", m.conversation_id as "conversationId", m.contact_id as "contactId"
  from channels ch
  left join messages m on m.channel_id = ch.id and m.provider_message_id = :providerMessageId
 where ch.id = :channelId`;
/** Its row: the message's columns are null when no message has the provider id (the left join). */
const ChannelAndDuplicateRow = z.object({
  workspaceId: z.string(),
  deletedAt: z.date().nullable(),
  messageId: z.string().nullable(),
  conversationId: z.string().nullable(),
  contactId: z.string().nullable(),
});

/*
 * Senders known only by a channel-side id have no unique index to upsert on, so two first
 * messages from such a sender could create two contacts. A transaction-scoped advisory lock on
 * the channel and identity serialises them; the lock is released at commit or rollback.
 */
const IDENTITY_LOCK_SQL = `select pg_advisory_xact_lock(hashtextextended(:lockKey, 0))`;

/*
 * The messages from senders with a phone that arrive at once in this process are stored
 * together, one statement and one commit for many (see GroupCommit). The bound keeps a
 * statement, and the row locks it holds, short when a burst is waiting.
 */
const MAX_STORES_PER_STATEMENT = 100;

/**
 * Accepts normalised inbound messages from every connector: validates, deduplicates by
 * (channel, provider message id), stores contact + conversation + message atomically,
 * then tells the listeners. Accepted means persisted: a connector acknowledges the provider
 * only after `accept` resolves, which is after the statement that stored its message returned.
 * Messages from senders with a phone share their statements with the accepts running at once.
 */
export class InboundPipeline implements InboundSink {
  private readonly listeners: InboundListener[] = [];
  /** A message from a sender with a phone → its outcome, alone or not (see storeTogether). */
  private readonly sharedStores: GroupCommit<InboundRow, PromiseSettledResult<StoredInbound | null>>;

  constructor(private readonly deps: { orm: Orm; logger: Logger; clock: Clock }) {
    // One row per phone per statement: two rows of one phone would upsert one contact (and one
    // conversation) twice, which fails the statement; the later message waits for the next one
    // and is judged after the earlier (a channel is not enough of a key: a workspace's channels
    // share its contacts).
    this.sharedStores = new GroupCommit((rows) => this.storeTogether(rows), {
      maxItems: MAX_STORES_PER_STATEMENT,
      keyOf: (row) => row.phone!,
    });
  }

  /** Registers a listener called after commit, once per new (non-duplicate) message. */
  onAccepted(listener: InboundListener): void {
    this.listeners.push(listener);
  }

  /** Validates and persists one inbound message; a repeat answers the first message's ids. */
  accept(input: InboundMessage): Promise<AcceptedInbound> {
    return this.acceptFrom('contact', input);
  }

  /**
   * Stores a message the channel's owner sent from their own device (`from` is the chat's other
   * party), as an outbound message by the owner, creating the contact and conversation when the
   * chat is new. Listeners are not told: an owner's message starts no flow.
   */
  acceptOwnerMessage(input: InboundMessage): Promise<AcceptedInbound> {
    return this.acceptFrom('owner', input);
  }

  private async acceptFrom(author: InboundRow['author'], input: InboundMessage): Promise<AcceptedInbound> {
    const parsed = InboundMessageSchema.safeParse(input);
    if (!parsed.success) {
      throw new ValidationError('the inbound message is invalid', { details: zodIssueDetails(parsed.error) });
    }
    const message = parsed.data;
    const em = this.deps.orm.em.fork();

    const stored = await this.store(em, toRow(message, this.deps.clock.now(), author));
    if (stored === null) {
      // Nothing stored: the channel is not live, or the message is a repeat (stored before, or by a concurrent accept that committed first).
      const { rows } = await runSql(
        em,
        CHANNEL_AND_DUPLICATE_SQL,
        { channelId: message.channelId, providerMessageId: message.providerMessageId },
        { row: ChannelAndDuplicateRow },
      );
      const channel = rows[0];
      if (!channel || channel.deletedAt !== null) throw new NotFoundError('channel', message.channelId);
      if (channel.messageId === null)
        throw new InvariantError(`inbound message ${message.channelId}/${message.providerMessageId} conflicted but cannot be found`, {
          channelId: message.channelId,
          providerMessageId: message.providerMessageId,
        });
      return {
        messageId: channel.messageId,
        conversationId: channel.conversationId!,
        contactId: channel.contactId!,
        workspaceId: channel.workspaceId,
        channelId: message.channelId,
        duplicate: true,
        conversationSnoozed: false,
      };
    }

    const accepted: AcceptedInbound = { ...stored, channelId: message.channelId, duplicate: false };
    if (author === 'contact') await this.notify(accepted);
    return accepted;
  }

  /**
   * Stores the message: for a sender with a phone, in a statement shared with the accepts running
   * at once; for a sender known only by a channel-side id, in a transaction of its own that first
   * takes the identity lock. Tried once more when a row it found was deleted before it wrote.
   */
  private async store(em: EntityManager, row: InboundRow): Promise<StoredInbound | null> {
    try {
      return await this.storeOnce(em, row);
    } catch (err) {
      // A contact the statement found was deleted before it wrote (an erasure committed meanwhile):
      // a statement of its own, with a newer snapshot, finds none and creates one.
      if ((err as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw err;
      return this.storeOnce(em, row);
    }
  }

  private async storeOnce(em: EntityManager, row: InboundRow): Promise<StoredInbound | null> {
    if (row.phone !== null) {
      const outcome = await this.sharedStores.submit(row);
      if (outcome.status === 'rejected') throw outcome.reason;
      return outcome.value;
    }
    const first = row.identities[0]!;
    return em.transactional(async (tem) => {
      await runSql(tem, IDENTITY_LOCK_SQL, { lockKey: `inbound-sender:${row.channelId}:${first.kind}:${first.value}` });
      return storeInbound(tem, row);
    });
  }

  /**
   * Writes the rows in one statement, on a fork of its own. When it fails (rows that may not share
   * a statement, see STORE_INBOUND_SQL; a deadlock with another process's statement), nothing of it
   * was stored and each row is stored again alone, so that one odd message fails only its own
   * accept. A statement of one row is not tried twice: its error is the row's.
   */
  private async storeTogether(rows: InboundRow[]): Promise<PromiseSettledResult<StoredInbound | null>[]> {
    try {
      const stored = await storeInboundRows(this.deps.orm.em.fork(), rows);
      return stored.map((value) => ({ status: 'fulfilled', value }));
    } catch (err) {
      if (rows.length === 1) return [{ status: 'rejected', reason: err }];
      this.deps.logger.warn({ err, rows: rows.length }, 'a shared inbound statement failed; storing each of its messages alone');
      return Promise.allSettled(rows.map((row) => storeInbound(this.deps.orm.em.fork(), row)));
    }
  }

  /** A listener failure never loses the message (it is already stored); it is logged for the reconcilers. */
  private async notify(accepted: AcceptedInbound): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(accepted);
      } catch (err) {
        this.deps.logger.error(
          { err, messageId: accepted.messageId, channelId: accepted.channelId },
          'inbound listener failed; the message is stored',
        );
      }
    }
  }
}

/** PostgreSQL's SQLSTATE for a row referring to one that is not there. */
const FOREIGN_KEY_VIOLATION = '23503';

function toRow(message: NormalisedInbound, now: Date, author: InboundRow['author']): InboundRow {
  const identities = [
    ...(message.from.phone ? [{ kind: 'phone', value: message.from.phone }] : []),
    ...message.from.externalIds.map((e) => ({ kind: e.kind, value: e.value })),
  ]
    // Sorted so that the identity lock key and the insert order are the same for every accept of this sender.
    .sort((a, b) => (a.kind === b.kind ? a.value.localeCompare(b.value) : a.kind.localeCompare(b.kind)))
    .filter((id, i, all) => i === 0 || id.kind !== all[i - 1]!.kind || id.value !== all[i - 1]!.value)
    .map((id) => ({ id: newId(), ...id }));
  const nowIso = now.toISOString();
  return {
    channelId: message.channelId,
    now,
    phone: message.from.phone ?? null,
    name: message.from.name ?? null,
    identities,
    newContactId: newId(),
    newConversationId: newId(),
    messageId: newId(),
    providerMessageId: message.providerMessageId,
    type: message.type,
    text: message.text ?? null,
    media: message.media ?? null,
    metadata: message.metadata,
    // `sent` is when the contact (or the owner) sent it, the provider's time when known.
    statusTimes:
      author === 'contact'
        ? { sent: (message.sentAt ?? now).toISOString(), received: nowIso }
        : { sent: (message.sentAt ?? now).toISOString() },
    quotedProviderMessageId: message.quotedProviderMessageId ?? null,
    author,
  };
}
