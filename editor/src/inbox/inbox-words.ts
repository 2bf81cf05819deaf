import type { ConversationState } from '../api/api-types.ts';

/** A state as the agent reads it. */
export const STATE_LABELS: Record<ConversationState, string> = {
  bot: 'Bot',
  queued: 'Waiting',
  assigned: 'Assigned',
  snoozed: 'Snoozed',
  resolved: 'Resolved',
};

export const STATE_COLORS: Record<ConversationState, string> = {
  bot: 'gray',
  queued: 'orange',
  assigned: 'blue',
  snoozed: 'grape',
  resolved: 'green',
};

/**
 * A duration in the words of a wait: "45 s", "12 min", "3 h 5 min", "2 d 4 h". With `seconds`,
 * an answer time keeps its seconds below an hour ("1 min 35 s"; "4 min" when they are 0).
 */
export function durationWords(seconds: number, opts: { seconds?: boolean } = {}): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return opts.seconds && s % 60 ? `${minutes} min ${s % 60} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** How long since a time, for waits: "12 min", "<1 min" (seconds would tick by on a list nobody reads that closely). */
export function since(iso: string, now: number): string {
  const seconds = (now - Date.parse(iso)) / 1000;
  return seconds < 60 ? '<1 min' : durationWords(seconds);
}

/** A time of the timeline: the hour today, else the date and hour. */
export function timeOf(iso: string, now = Date.now()): string {
  const at = new Date(iso);
  const today = new Date(now).toDateString() === at.toDateString();
  return today
    ? at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : at.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** A contact as the inbox names them: their name, else their phone, else "Unknown contact". */
export function contactLabel(contact: { name: string | null; phone: string | null } | undefined): string {
  return contact?.name ?? contact?.phone ?? 'Unknown contact';
}

/** Who a delivery status means for an outbound message. */
export const MESSAGE_STATUS_WORDS: Record<string, string> = {
  pending: 'Sending',
  queued: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not delivered',
  received: 'Received',
};
