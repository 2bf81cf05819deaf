import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { Conversation, InboxStreamEvent } from '../api/api-types.ts';
import { inboxKeys } from '../api/queries/inbox.queries.ts';

/** The live stream of the inbox; the session cookie goes with it (same origin). */
export const INBOX_EVENTS_URL = '/api/v1/inbox/events';
/** After the stream closed for good (the server refused it, or the session ended), tries again after this, doubling up to the max. */
const RECONNECT_FIRST_MS = 1_000;
const RECONNECT_MAX_MS = 30_000;

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

/**
 * What one event of the stream changes in the cache: the conversation it names is patched at
 * once (state and owner, so the lists and buttons move without waiting), and every read it may
 * change is refetched.
 */
export function applyInboxEvent(queryClient: QueryClient, event: InboxStreamEvent): void {
  const id = event.conversationId;
  if (event.type === 'conversation') {
    queryClient.setQueryData<Conversation>(inboxKeys.conversation(id), (c) =>
      c ? { ...c, state: event.toState, assigneeUserId: event.toAssigneeUserId, teamId: event.teamId, stateChangedAt: event.at } : c,
    );
    void queryClient.invalidateQueries({ queryKey: inboxKeys.conversation(id) });
    void queryClient.invalidateQueries({ queryKey: inboxKeys.availability });
    void queryClient.invalidateQueries({ queryKey: ['inbox'] });
  }
  void queryClient.invalidateQueries({ queryKey: inboxKeys.timeline(id) });
  if (event.type === 'message') void queryClient.invalidateQueries({ queryKey: inboxKeys.messages(id) });
  void queryClient.invalidateQueries({ queryKey: inboxKeys.lists });
}

/** After a reconnect, events may have been missed: every inbox read is fetched again. */
export function refreshAllInbox(queryClient: QueryClient): void {
  for (const queryKey of [inboxKeys.lists, ['conversation'], ['inbox'], inboxKeys.availability])
    void queryClient.invalidateQueries({ queryKey });
}

function parse(data: string): InboxStreamEvent | null {
  try {
    return JSON.parse(data) as InboxStreamEvent;
  } catch {
    return null;
  }
}

/**
 * Keeps the inbox live while the page is open: one EventSource on the agent's stream (which
 * also keeps them present: an agent whose inbox is closed longer than the grace period counts
 * as offline). The browser reconnects by itself after a dropped connection (the server's
 * `retry:`); when it gives up (an error answer), this opens a new one with a growing delay.
 * Every (re)connection refetches the inbox, since events sent while away are not replayed.
 */
export function useInboxEvents(enabled = true, onEvent?: (event: InboxStreamEvent) => void): LiveStatus {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>('connecting');
  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') return;
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delay = RECONNECT_FIRST_MS;
    let opened = 0;
    let stopped = false;
    const handle = (message: MessageEvent<string>) => {
      const event = parse(message.data);
      if (!event) return;
      applyInboxEvent(queryClient, event);
      onEvent?.(event);
    };
    const open = () => {
      source = new EventSource(INBOX_EVENTS_URL, { withCredentials: true });
      source.addEventListener('ready', () => {
        delay = RECONNECT_FIRST_MS;
        setStatus('live');
        if (opened++ > 0) refreshAllInbox(queryClient);
      });
      source.addEventListener('conversation', handle);
      source.addEventListener('message', handle);
      source.onerror = () => {
        if (stopped) return;
        setStatus('reconnecting');
        if (source?.readyState === EventSource.CLOSED) {
          source = null;
          timer = setTimeout(open, delay);
          delay = Math.min(delay * 2, RECONNECT_MAX_MS);
        }
      };
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
    };
  }, [enabled, queryClient, onEvent]);
  return status;
}
