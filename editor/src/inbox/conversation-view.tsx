import { Alert, Anchor, Badge, Box, Button, Group, Paper, ScrollArea, Stack, Text, Title } from '@mantine/core';
import { useEffect, useMemo, useRef } from 'react';
import type { MessageDetail } from '../api/api-types.ts';
import type { Conversation, Team, TimelineItem } from '../api/api-types.ts';
import { useContact } from '../api/queries/contacts.queries.ts';
import { useConversation, useConversationMessages, useMarkRead, useTimeline } from '../api/queries/inbox.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { ConversationActions } from './conversation-actions.tsx';
import { contactLabel, STATE_COLORS, STATE_LABELS, timeOf } from './inbox-words.ts';
import { ReplyBox } from './reply-box.tsx';
import { EventLine, MessageBubble, NoteCard, RunLine } from './timeline-entry.tsx';

export interface ViewerContext {
  myUserId: string | null;
  supervisor: boolean;
  teams: Team[];
  nameOf: (userId: string | null) => string;
}

/** Why the reply box is closed, in words; null when the person may write. */
function replyBlockedReason(c: Conversation): string | null {
  if (c.state === 'resolved') return 'This conversation is resolved: reopen it to reply.';
  return null;
}

/** One conversation: who and where it is, what can be done, the hand-off note, the whole history, and the reply box. */
export function ConversationView({
  conversationId,
  viewer,
  onBack,
  onContact,
  aside,
}: {
  conversationId: string;
  viewer: ViewerContext;
  onBack?: () => void;
  onContact?: () => void;
  aside?: (c: Conversation, timeline: TimelineItem[]) => React.ReactNode;
}) {
  const conversation = useConversation(conversationId);
  const timeline = useTimeline(conversationId);
  return (
    <QueryState query={conversation} label="conversation">
      {(c) => (
        <Loaded
          conversation={c}
          items={timeline.data?.items ?? []}
          timelineLoading={timeline.isPending}
          viewer={viewer}
          onBack={onBack}
          onContact={onContact}
          aside={aside}
        />
      )}
    </QueryState>
  );
}

function Loaded({
  conversation: c,
  items,
  timelineLoading,
  viewer,
  onBack,
  onContact,
  aside,
}: {
  conversation: Conversation;
  items: TimelineItem[];
  timelineLoading: boolean;
  viewer: ViewerContext;
  onBack?: () => void;
  onContact?: () => void;
  aside?: (c: Conversation, timeline: TimelineItem[]) => React.ReactNode;
}) {
  const contact = useContact(c.contactId).data;
  const messages = useConversationMessages(c.id).data?.items;
  const details = useMemo(() => new Map<string, MessageDetail>((messages ?? []).map((m) => [m.id, m])), [messages]);
  const viewport = useRef<HTMLDivElement>(null);
  const team = viewer.teams.find((t) => t.id === c.teamId);

  // Open is read: the person's read position follows the conversation's messages while it is on screen.
  const markRead = useMarkRead().mutate;
  const messageCount = items.filter((i) => i.kind === 'message').length;
  useEffect(() => {
    if (messageCount > 0) markRead(c.id);
  }, [c.id, messageCount, markRead]);
  // The newest is at the bottom, where the reply box is.
  useEffect(() => {
    viewport.current?.scrollTo({ top: viewport.current.scrollHeight });
  }, [c.id, items.length]);

  return (
    <Group align="stretch" gap="md" wrap="nowrap" h="100%">
      <Paper
        withBorder
        radius="md"
        p="sm"
        h="100%"
        style={{ flex: 1, minWidth: 0, display: 'flex', flexDirection: 'column', gap: 'var(--mantine-spacing-sm)' }}
        component="section"
        aria-label="Conversation"
      >
        <Group justify="space-between" align="flex-start" gap="xs">
          <div style={{ minWidth: 0 }}>
            <Group gap="xs">
              {onBack && (
                <Button variant="subtle" size="compact-sm" onClick={onBack}>
                  ← Back
                </Button>
              )}
              <Title order={2} size="h3">
                {contactLabel(contact)}
              </Title>
              <Badge variant="light" color={STATE_COLORS[c.state]} data-testid="conversation-state" data-state={c.state}>
                {STATE_LABELS[c.state]}
              </Badge>
            </Group>
            <Text size="sm" c="dimmed">
              {team ? `Team ${team.name}` : 'No team'}
              {c.assigneeUserId
                ? c.state === 'resolved'
                  ? ` · handled by ${viewer.nameOf(c.assigneeUserId)}`
                  : ` · with ${viewer.nameOf(c.assigneeUserId)}`
                : ''}
              {c.state === 'snoozed' && c.snoozedUntil ? ` · until ${timeOf(c.snoozedUntil)}` : ''}
              {onContact && (
                <>
                  {' · '}
                  <Anchor component="button" size="sm" onClick={onContact}>
                    Contact details
                  </Anchor>
                </>
              )}
            </Text>
          </div>
          <ConversationActions
            conversation={c}
            myUserId={viewer.myUserId}
            supervisor={viewer.supervisor}
            teams={viewer.teams}
            nameOf={viewer.nameOf}
          />
        </Group>
        {c.handoffNote && c.state !== 'resolved' && (
          <Alert variant="light" color="orange" title="Hand-off note" py="xs">
            {c.handoffNote}
          </Alert>
        )}
        <ScrollArea viewportRef={viewport} style={{ flex: 1 }} type="auto" offsetScrollbars aria-label="History">
          <Stack gap="sm" py="xs" role="log" aria-label="Conversation history">
            {timelineLoading && <Text c="dimmed">Loading the history…</Text>}
            {items.map((item) => (
              <Box key={`${item.kind}-${item.id}`}>
                {item.kind === 'message' ? (
                  <MessageBubble item={item} detail={details.get(item.id)} nameOf={viewer.nameOf} />
                ) : item.kind === 'note' ? (
                  <NoteCard item={item} nameOf={viewer.nameOf} />
                ) : item.kind === 'event' ? (
                  <EventLine item={item} nameOf={viewer.nameOf} />
                ) : (
                  <RunLine item={item} />
                )}
              </Box>
            ))}
          </Stack>
        </ScrollArea>
        <ReplyBox key={c.id} conversationId={c.id} disabledReason={replyBlockedReason(c)} />
      </Paper>
      {aside?.(c, items)}
    </Group>
  );
}
