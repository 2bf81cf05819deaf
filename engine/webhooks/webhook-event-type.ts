import { z } from 'zod';

/** Events a workspace may subscribe an endpoint to, in the words of Standard Webhooks' `type`. */
export const WEBHOOK_EVENT_TYPES = [
  'message.received',
  'message.status',
  'conversation.state_changed',
  'run.finished',
  'broadcast.finished',
  'contact.opted_out',
  'contact.erased',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WebhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES);

/** What each event means, for the editor's checkboxes and the API reference. */
export const WEBHOOK_EVENT_LABELS: Record<WebhookEventType, string> = {
  'message.received': 'A contact sent a message',
  'message.status': 'A message we sent was sent, delivered, read or failed',
  'conversation.state_changed': 'A conversation moved (handed to a person, assigned, resolved…)',
  'run.finished': 'A flow run finished',
  'broadcast.finished': 'A broadcast finished',
  'contact.opted_out': 'A contact opted out',
  'contact.erased': 'A contact was erased',
};

/**
 * One event as a site emits it. `contactId` / `conversationId` name the person it is about, so
 * that erasing them deletes the event too; leave them out for events that carry no personal data.
 */
export interface WebhookEventInput {
  workspaceId: string;
  type: WebhookEventType;
  data: Record<string, unknown>;
  contactId?: string | null;
  conversationId?: string | null;
}
