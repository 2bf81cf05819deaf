import type { AdvanceOutcome } from '../../engine/runs/run-types.ts';
import type { WebhookEventInput } from '../../engine/webhooks/webhook-event-type.ts';

/*
 * The `data` of each event type, built here so that each place that emits one stays one line.
 * Ids are the API's ids (GET /api/v1/… answers the rest); a contact's phone and name travel only
 * with `message.received`, which carries the message anyway. `contact.erased` carries the id
 * alone: nothing of the person is kept to send.
 */

export function messageReceivedEvent(m: {
  id: string;
  workspaceId: string;
  channelId: string;
  conversationId: string;
  contactId: string;
  type: string;
  text: string | null;
  receivedAt: Date;
  contact: { phone: string | null; name: string | null };
}): WebhookEventInput {
  return {
    workspaceId: m.workspaceId,
    type: 'message.received',
    contactId: m.contactId,
    conversationId: m.conversationId,
    data: {
      messageId: m.id,
      channelId: m.channelId,
      conversationId: m.conversationId,
      contact: { id: m.contactId, phone: m.contact.phone, name: m.contact.name },
      type: m.type,
      text: m.text,
      receivedAt: m.receivedAt.toISOString(),
    },
  };
}

/** An outbound message whose status moved (sent, delivered, read, failed). */
export interface StatusChange {
  messageId: string;
  workspaceId: string;
  channelId: string;
  conversationId: string | null;
  contactId: string | null;
  status: string;
  failureReason?: string | null;
  at: Date;
}

export function messageStatusEvents(changes: readonly StatusChange[]): WebhookEventInput[] {
  return changes.map((c) => ({
    workspaceId: c.workspaceId,
    type: 'message.status',
    contactId: c.contactId,
    conversationId: c.conversationId,
    data: {
      messageId: c.messageId,
      channelId: c.channelId,
      conversationId: c.conversationId,
      contactId: c.contactId,
      status: c.status,
      failureReason: c.failureReason ?? null,
      at: c.at.toISOString(),
    },
  }));
}

export function conversationMovedEvents(
  moves: readonly {
    type: string;
    workspaceId: string;
    conversationId?: string;
    teamId?: string | null;
    fromState?: string;
    toState?: string;
    fromAssigneeUserId?: string | null;
    toAssigneeUserId?: string | null;
    at?: string;
  }[],
): WebhookEventInput[] {
  return moves
    .filter((m) => m.type === 'conversation')
    .map((m) => ({
      workspaceId: m.workspaceId,
      type: 'conversation.state_changed' as const,
      conversationId: m.conversationId!,
      data: {
        conversationId: m.conversationId,
        from: m.fromState,
        to: m.toState,
        teamId: m.teamId ?? null,
        fromAssigneeUserId: m.fromAssigneeUserId ?? null,
        toAssigneeUserId: m.toAssigneeUserId ?? null,
        at: m.at,
      },
    }));
}

/** A run that finished (completed, failed or stopped); nothing for a run that waits. */
export function runFinishedEvents(
  run: {
    id: string;
    workspaceId: string;
    flowId: string;
    flowVersionId: string;
    contactId: string | null;
    conversationId: string | null;
    channelId: string | null;
  },
  outcome: AdvanceOutcome,
  at: Date,
): WebhookEventInput[] {
  if (outcome.status === 'waiting') return [];
  const reason = outcome.status === 'failed' ? outcome.error.message : outcome.status === 'stopped' ? outcome.reason : null;
  return [
    {
      workspaceId: run.workspaceId,
      type: 'run.finished',
      contactId: run.contactId,
      conversationId: run.conversationId,
      data: {
        runId: run.id,
        flowId: run.flowId,
        flowVersionId: run.flowVersionId,
        contactId: run.contactId,
        conversationId: run.conversationId,
        channelId: run.channelId,
        status: outcome.status,
        reason,
        finishedAt: at.toISOString(),
      },
    },
  ];
}

export function broadcastFinishedEvents(
  rows: readonly { id: string; workspaceId: string; name: string; state: string; stateReason: string | null }[],
  at: Date,
): WebhookEventInput[] {
  return rows.map((b) => ({
    workspaceId: b.workspaceId,
    type: 'broadcast.finished',
    data: { broadcastId: b.id, name: b.name, state: b.state, reason: b.stateReason, finishedAt: at.toISOString() },
  }));
}

export function contactOptedOutEvents(e: {
  workspaceId: string;
  contactId: string;
  action: string;
  source: string;
  channelId?: string | null;
  at: Date;
}): WebhookEventInput[] {
  if (e.action !== 'opt_out') return [];
  return [
    {
      workspaceId: e.workspaceId,
      type: 'contact.opted_out',
      contactId: e.contactId,
      data: { contactId: e.contactId, source: e.source, channelId: e.channelId ?? null, at: e.at.toISOString() },
    },
  ];
}

/** Written after the erasure deleted the contact's events: this one names no one it could be erased with. */
export function contactErasedEvent(workspaceId: string, contactId: string, at: Date): WebhookEventInput {
  return { workspaceId, type: 'contact.erased', data: { contactId, erasedAt: at.toISOString() } };
}
