import { Badge, Group, Stack, Text, UnstyledButton } from '@mantine/core';
import type { ConversationListItem, Team } from '../api/api-types.ts';
import { contactLabel, since, STATE_COLORS, STATE_LABELS, timeOf } from './inbox-words.ts';

/** Who wrote an outbound message, as the list's line starts: "You", "Bot", "Agent". */
const OUTBOUND_SENDER: Record<string, string> = { bot: 'Bot', agent: 'Agent', owner: 'From the phone', broadcast: 'Broadcast' };

/** What the last message was, in one line: "You: On its way", "Bot: Hello", "Photo: the receipt". */
export function lastMessageLine(m: ConversationListItem['lastMessage'], myUserId: string | null): string | null {
  if (!m) return null;
  const kind = { image: 'Photo', video: 'Video', audio: 'Voice message', document: 'Document', sticker: 'Sticker', location: 'Location' }[
    m.type
  ];
  const body = kind ? (m.excerpt ? `${kind}: ${m.excerpt}` : kind) : (m.excerpt ?? 'Deleted message');
  if (m.direction === 'inbound') return body;
  const who =
    m.sender === 'agent' && m.authorUserId !== null && m.authorUserId === myUserId ? 'You' : (OUTBOUND_SENDER[m.sender] ?? 'Sent');
  return `${who}: ${body}`;
}

/** The conversations of one tab (the queue longest waiting first, others newest activity first); the open one highlighted, unread ones bold with their count. */
export function ConversationList({
  items,
  selectedId,
  onSelect,
  teams,
  now,
  emptyText,
  myUserId,
}: {
  items: ConversationListItem[];
  selectedId: string | null;
  onSelect: (id: string) => void;
  teams: Map<string, Team>;
  now: number;
  emptyText: string;
  myUserId: string | null;
}) {
  if (items.length === 0)
    return (
      <Text c="dimmed" size="sm" p="md">
        {emptyText}
      </Text>
    );
  return (
    <Stack gap={0} component="ul" role="list" aria-label="Conversations" m={0} p={0} style={{ listStyle: 'none' }}>
      {items.map((c) => (
        <ConversationRow
          key={c.id}
          conversation={c}
          selected={c.id === selectedId}
          onSelect={onSelect}
          teamName={c.teamId ? teams.get(c.teamId)?.name : undefined}
          now={now}
          myUserId={myUserId}
        />
      ))}
    </Stack>
  );
}

function ConversationRow({
  conversation: c,
  selected,
  onSelect,
  teamName,
  now,
  myUserId,
}: {
  conversation: ConversationListItem;
  selected: boolean;
  onSelect: (id: string) => void;
  teamName: string | undefined;
  now: number;
  myUserId: string | null;
}) {
  const unread = selected ? 0 : c.unreadCount;
  const name = contactLabel(c.contact);
  const waiting = c.state === 'queued' && c.queuedAt;
  const last = lastMessageLine(c.lastMessage, myUserId);
  return (
    <li>
      <UnstyledButton
        onClick={() => onSelect(c.id)}
        aria-current={selected ? 'true' : undefined}
        aria-label={`${name}${unread ? `, ${unread} unread` : ''}, ${STATE_LABELS[c.state]}`}
        data-conversation-id={c.id}
        data-state={c.state}
        w="100%"
        px="sm"
        py={10}
        style={{
          borderBottom: '1px solid var(--mantine-color-default-border)',
          background: selected ? 'var(--mantine-color-blue-light)' : undefined,
        }}
      >
        <Group justify="space-between" wrap="nowrap" gap="xs">
          <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
            <Text size="sm" fw={unread ? 700 : 500} truncate>
              {name}
            </Text>
          </Group>
          <Group gap={6} wrap="nowrap" style={{ flex: 'none' }}>
            <Text size="xs" c="dimmed" title="Last message">
              {timeOf(c.lastMessage?.at ?? c.lastMessageAt, now)}
            </Text>
            {unread > 0 && (
              <Badge size="sm" circle={unread < 10} color="blue" data-unread={unread} aria-hidden="true">
                {unread > 98 ? '99+' : unread}
              </Badge>
            )}
          </Group>
        </Group>
        {last && (
          <Text size="xs" c={unread ? undefined : 'dimmed'} fw={unread ? 600 : undefined} mt={2} truncate data-last-message>
            {last}
          </Text>
        )}
        <Group gap={6} mt={4} wrap="nowrap">
          <Badge size="xs" variant="light" color={STATE_COLORS[c.state]}>
            {STATE_LABELS[c.state]}
          </Badge>
          {teamName && (
            <Text size="xs" c="dimmed" truncate>
              {teamName}
            </Text>
          )}
          {waiting && (
            <Text size="xs" c="orange.9" fw={600} style={{ flex: 'none' }}>
              waiting {since(c.queuedAt!, now)}
            </Text>
          )}
        </Group>
        {c.handoffNote && (
          <Text size="xs" c="dimmed" mt={2} truncate>
            “{c.handoffNote}”
          </Text>
        )}
      </UnstyledButton>
    </li>
  );
}
