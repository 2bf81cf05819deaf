import type { EntityManager } from '@mikro-orm/postgresql';
import { ContactUnreachableError } from '../../engine/errors/contact-unreachable.error.ts';
import type { Effect } from '../../engine/runs/run-types.ts';
import { optInContact, optOutContact } from '../contacts/contact-consent.sql.ts';
import type { InboxAfterCommit } from '../inbox/inbox-effects.ts';
import type { HandOffRequest } from '../inbox/inbox.ts';
import type { Outbox, QueuedSend } from '../pipeline/outbox.ts';
import { runSql } from '../pipeline/run-sql.ts';
import type { RunRow } from './run-store.ts';
import type { RunWriteBatch } from './run-write-batch.ts';

/** The support inbox's side of a hand_off step, in the run's transaction (platform/inbox). */
export interface HandOffPort {
  handOff(em: EntityManager, request: HandOffRequest, after: InboxAfterCommit): Promise<{ applied: boolean; reason?: string }>;
}

/** What happened to one effect, recorded on its step so the run history explains it. */
export type EffectResult =
  { kind: Effect['kind']; applied: true; messageId?: string } | { kind: Effect['kind']; applied: false; reason: string };

/** Where a run's effects are applied: its transaction's services and the sinks its caller flushes. */
export interface EffectsContext {
  outbox: Outbox;
  handOff: HandOffPort;
  now: Date;
  /** Outbox rows wait here to be inserted with the batch's other rows (see RunWriteBatch). */
  writes?: RunWriteBatch;
  /** What hand_off steps decide in the support inbox, done after commit (the hand-off port appends to it). */
  inbox: InboxAfterCommit;
}

/** One step's effects, with what the run's transaction knows of its contact before them. */
export interface StepEffects {
  run: RunRow;
  seq: number;
  effects: readonly Effect[];
  /**
   * True while the contact is locked in this transaction and known reachable: sends skip the
   * outbox's target lookup.
   */
  contactReachable: boolean;
}

/** What applying one step's effects decided, for the caller to carry on with. */
export interface AppliedEffects {
  /** One per effect, in order. */
  results: EffectResult[];
  /** Outbox rows this step created, to dispatch after commit. */
  sends: QueuedSend[];
  /** The flows the step asked to start, in order. */
  startFlows: string[];
  /**
   * The contact's reachability for the steps after this one: an effect that changes consent
   * clears it (the outbox's lookup then decides).
   */
  contactReachable: boolean;
}

/**
 * Applies a step's effects inside the run's transaction. A send becomes an outbox row whose
 * idempotency key is (run, step, effect index): a step re-executed after a crash finds the row
 * its first execution committed, or none if that execution rolled back, so it is sent once.
 */
export async function applyEffects(em: EntityManager, ctx: EffectsContext, step: StepEffects): Promise<AppliedEffects> {
  const { run, seq, effects } = step;
  let contactReachable = step.contactReachable;
  const sends: QueuedSend[] = [];
  const startFlows: string[] = [];
  const results: EffectResult[] = [];
  for (const [index, effect] of effects.entries()) {
    const needsContact = effect.kind !== 'start_flow';
    if (needsContact && !run.contactId) {
      results.push({ kind: effect.kind, applied: false, reason: 'the run has no contact' });
      continue;
    }
    switch (effect.kind) {
      case 'send': {
        if (!run.conversationId) {
          results.push({ kind: effect.kind, applied: false, reason: 'the run has no conversation to reply in' });
          break;
        }
        const request = {
          workspaceId: run.workspaceId,
          conversationId: run.conversationId,
          type: effect.mediaUrl ? ('image' as const) : ('text' as const),
          ...(effect.text ? { text: effect.text } : {}),
          ...(effect.mediaUrl ? { media: { url: effect.mediaUrl } } : {}),
          idempotencyKey: `run:${run.id}:${seq}:${index}`,
          sender: 'bot' as const,
          runId: run.id,
        };
        const reachable = contactReachable && run.channelId ? { channelId: run.channelId, contactId: run.contactId! } : undefined;
        if (reachable && ctx.writes) {
          const row = ctx.outbox.prepareQueued(request, reachable);
          ctx.writes.messages.push(row);
          sends.push({ messageId: row.id, channelId: row.channel_id, created: true });
          results.push({ kind: effect.kind, applied: true, messageId: row.id });
          break;
        }
        try {
          const queued = await ctx.outbox.queueSend(em, request, reachable);
          if (queued.created) sends.push(queued);
          results.push({ kind: effect.kind, applied: true, messageId: queued.messageId });
        } catch (err) {
          if (!(err instanceof ContactUnreachableError)) throw err;
          results.push({ kind: effect.kind, applied: false, reason: err.message });
        }
        break;
      }
      case 'set_attribute':
        await runSql(
          em,
          `update contacts set attributes = attributes || jsonb_build_object(cast(:key as text), cast(:value as text)), updated_at = :now where id = :id`,
          { id: run.contactId, key: effect.key, value: effect.value, now: ctx.now },
        );
        results.push({ kind: effect.kind, applied: true });
        break;
      case 'add_tag':
        await runSql(
          em,
          `update contacts set tags = array_append(tags, cast(:tag as text)), updated_at = :now where id = :id and not (cast(:tag as text) = any(tags))`,
          { id: run.contactId, tag: effect.tag, now: ctx.now },
        );
        results.push({ kind: effect.kind, applied: true });
        break;
      case 'remove_tag':
        await runSql(em, `update contacts set tags = array_remove(tags, cast(:tag as text)), updated_at = :now where id = :id`, {
          id: run.contactId,
          tag: effect.tag,
          now: ctx.now,
        });
        results.push({ kind: effect.kind, applied: true });
        break;
      case 'opt_out':
        contactReachable = false;
        if (run.contactId !== null)
          await optOutContact(em, {
            workspaceId: run.workspaceId,
            contactId: run.contactId,
            source: 'node',
            channelId: run.channelId,
            runId: run.id,
            at: ctx.now,
          });
        results.push({ kind: effect.kind, applied: true });
        break;
      case 'opt_in':
        contactReachable = false;
        if (run.contactId !== null)
          await optInContact(em, {
            workspaceId: run.workspaceId,
            contactId: run.contactId,
            source: 'node',
            channelId: run.channelId,
            runId: run.id,
            at: ctx.now,
          });
        results.push({ kind: effect.kind, applied: true });
        break;
      case 'hand_off': {
        if (!run.conversationId) {
          results.push({ kind: effect.kind, applied: false, reason: 'the run has no conversation to hand off' });
          break;
        }
        // The inbox moves the conversation to a team's queue (or an available agent) and writes its event.
        const handed = await ctx.handOff.handOff(
          em,
          {
            workspaceId: run.workspaceId,
            conversationId: run.conversationId,
            runId: run.id,
            teamId: effect.teamId,
            agentId: effect.agentId,
            note: effect.note,
          },
          ctx.inbox,
        );
        results.push(
          handed.applied
            ? { kind: effect.kind, applied: true }
            : { kind: effect.kind, applied: false, reason: handed.reason ?? 'not handed off' },
        );
        break;
      }
      case 'start_flow':
        startFlows.push(effect.flowId);
        results.push({ kind: effect.kind, applied: true });
        break;
    }
  }
  return { results, sends, startFlows, contactReachable };
}
