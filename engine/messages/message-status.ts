/**
 * Message statuses. Inbound messages are `received`. Outbound ones move forward only:
 * queued → sent → delivered → read, and `failed` from any state that is not final.
 * Provider updates arrive out of order (a read receipt before the delivery receipt); a
 * backward or repeated update is ignored, never applied.
 */
export const MESSAGE_STATUSES = ['received', 'queued', 'sent', 'delivered', 'read', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export type OutboundStatus = Exclude<MessageStatus, 'received'>;

/** When each status was reached, as ISO-8601 strings. */
export type StatusTimes = Partial<Record<MessageStatus, string>>;

const FORWARD_RANK: Record<OutboundStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: -1 };
const FINAL: ReadonlySet<MessageStatus> = new Set(['read', 'failed', 'received']);

/** True when an outbound message in `from` may move to `to`. */
export function canTransition(from: MessageStatus, to: OutboundStatus): boolean {
  if (FINAL.has(from)) return false;
  if (to === 'failed') return true;
  return FORWARD_RANK[to] > FORWARD_RANK[from as OutboundStatus];
}

/** The statuses that a forward move into `to` may leave from (for a guarded SQL update). */
export function statusesBefore(to: OutboundStatus): OutboundStatus[] {
  return (['queued', 'sent', 'delivered'] as const).filter((from) => canTransition(from, to));
}
