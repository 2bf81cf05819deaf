import { useQuery } from '@tanstack/react-query';
import type {
  Availability,
  Conversation,
  ConversationListItem,
  ConversationNote,
  InboxAgent,
  MessageDetail,
  MyAvailability,
  InboxOverview,
  Page,
  ReadMarker,
  SentMessage,
  TimelineItem,
} from '../api-types.ts';
import { useSession } from '../../session/session-context.tsx';
import { useApiMutation } from '../use-api-mutation.ts';

/** Conversations shown per list of the inbox (the API's largest page). */
export const INBOX_LIST_LIMIT = 200;

/** What a list of the inbox asks the API for (GET /conversations). */
export interface ConversationFilter {
  state?: string;
  assignee?: 'me' | 'none' | string;
  teamId?: string;
  q?: string;
  contactId?: string;
}

export const inboxKeys = {
  /** Every list of conversations (all filters): a live event refreshes them all. */
  lists: ['conversations'] as const,
  list: (filter: ConversationFilter) => ['conversations', filter] as const,
  conversation: (id: string) => ['conversation', id] as const,
  timeline: (id: string) => ['conversation', id, 'timeline'] as const,
  messages: (id: string) => ['conversation', id, 'messages'] as const,
  availability: ['me', 'availability'] as const,
  agents: ['inbox', 'agents'] as const,
  overview: (slaSeconds: number) => ['inbox', 'overview', slaSeconds] as const,
};

function queryString(filter: ConversationFilter): string {
  const params = new URLSearchParams({ limit: String(INBOX_LIST_LIMIT) });
  for (const [key, value] of Object.entries(filter)) if (value) params.set(key, value);
  return params.toString();
}

/** A list of conversations with their contact, last message and unread count: most recent activity first, the queue longest waiting first. */
export function useConversations(filter: ConversationFilter, enabled = true) {
  const { api } = useSession();
  return useQuery({
    queryKey: inboxKeys.list(filter),
    queryFn: ({ signal }) => api.get<Page<ConversationListItem>>(`/conversations?${queryString(filter)}`, signal),
    enabled,
  });
}

/**
 * Marks the conversation read up to its latest message (the caller's read position, kept by the
 * API per person): the lists' unread counts follow.
 */
export function useMarkRead() {
  return useApiMutation((api, id: string) => api.put<ReadMarker>(`/conversations/${id}/read`, {}), {
    invalidates: () => [inboxKeys.lists],
    notifyError: false,
  });
}

export function useConversation(id: string) {
  const { api } = useSession();
  return useQuery({ queryKey: inboxKeys.conversation(id), queryFn: ({ signal }) => api.get<Conversation>(`/conversations/${id}`, signal) });
}

/** Messages, notes, state changes and runs in one list, oldest first. */
export function useTimeline(id: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: inboxKeys.timeline(id),
    queryFn: ({ signal }) => api.get<{ items: TimelineItem[] }>(`/conversations/${id}/timeline`, signal),
  });
}

/**
 * The conversation's messages with their delivery times and failure reasons, which the
 * timeline's message items do not carry: the view joins them by id.
 */
export function useConversationMessages(id: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: inboxKeys.messages(id),
    queryFn: ({ signal }) => api.get<Page<MessageDetail>>(`/conversations/${id}/messages?limit=200`, signal),
  });
}

/** The caller's availability in the inbox (only for roles that work it). */
export function useMyAvailability(enabled: boolean) {
  const { api } = useSession();
  return useQuery({
    queryKey: inboxKeys.availability,
    queryFn: ({ signal }) => api.get<MyAvailability>('/me/availability', signal),
    enabled,
    staleTime: 30_000,
  });
}

export function useSetAvailability() {
  return useApiMutation((api, availability: Availability) => api.put<MyAvailability>('/me/availability', { availability }), {
    invalidates: [inboxKeys.availability, inboxKeys.agents],
    success: (answer) => `You are ${answer.availability} now.`,
  });
}

/** Supervisors: the agents of the teams with their availability and load. */
export function useInboxAgents(enabled = true) {
  const { api } = useSession();
  return useQuery({
    queryKey: inboxKeys.agents,
    queryFn: ({ signal }) => api.get<{ items: InboxAgent[] }>('/inbox/agents', signal),
    enabled,
    refetchInterval: 15_000,
  });
}

/** Supervisors: per team the queue, the longest wait, the conversations over the target and today's waits. */
export function useInboxOverview(slaSeconds: number) {
  const { api } = useSession();
  return useQuery({
    queryKey: inboxKeys.overview(slaSeconds),
    queryFn: ({ signal }) => api.get<InboxOverview>(`/inbox/overview?slaSeconds=${slaSeconds}`, signal),
    refetchInterval: 15_000,
  });
}

/** What a move of a conversation changes: the conversation, its timeline, every list, and who has what. */
const moved = (id: string) => [inboxKeys.conversation(id), inboxKeys.timeline(id), inboxKeys.lists, inboxKeys.availability, ['inbox']];

export function useTake() {
  return useApiMutation((api, id: string) => api.post<Conversation>(`/conversations/${id}/take`), {
    invalidates: (_r, id) => moved(id),
    success: 'The conversation is yours.',
  });
}
export function useResolve() {
  return useApiMutation((api, id: string) => api.post<Conversation>(`/conversations/${id}/resolve`), {
    invalidates: (_r, id) => moved(id),
    success: 'Resolved: the bot answers this contact again.',
  });
}
export function useReopen() {
  return useApiMutation((api, id: string) => api.post<Conversation>(`/conversations/${id}/reopen`), {
    invalidates: (_r, id) => moved(id),
    success: 'Reopened.',
  });
}
export function useSnooze() {
  return useApiMutation(
    (api, { id, until }: { id: string; until: Date }) =>
      api.post<Conversation>(`/conversations/${id}/snooze`, { until: until.toISOString() }),
    {
      invalidates: (_r, { id }) => moved(id),
      success: (c) => `Snoozed until ${new Date(c.snoozedUntil ?? Date.now()).toLocaleString()}.`,
    },
  );
}
export function useTransfer() {
  return useApiMutation(
    (api, { id, ...body }: { id: string; teamId: string; agentId?: string; note?: string }) =>
      api.post<Conversation>(`/conversations/${id}/transfer`, body),
    {
      invalidates: (_r, { id }) => moved(id),
      success: 'Transferred.',
    },
  );
}
export function useAssign() {
  return useApiMutation(
    (api, { id, userId }: { id: string; userId: string }) => api.post<Conversation>(`/conversations/${id}/assign`, { userId }),
    { invalidates: (_r, { id }) => moved(id), success: 'Assigned.' },
  );
}

export function useAddNote() {
  return useApiMutation(
    (api, { id, text }: { id: string; text: string }) => api.post<ConversationNote>(`/conversations/${id}/notes`, { text }),
    { invalidates: (_r, { id }) => [inboxKeys.timeline(id)] },
  );
}

/** A reply to the contact: through the outbox and the channel's pacing; the client id makes a retried click send once. */
export function useSendReply() {
  return useApiMutation(
    (api, { id, text, clientMessageId }: { id: string; text: string; clientMessageId: string }) =>
      api.post<SentMessage>(`/conversations/${id}/messages`, { text, clientMessageId }),
    {
      invalidates: (_r, { id }) => [inboxKeys.timeline(id), inboxKeys.messages(id), inboxKeys.lists],
    },
  );
}
