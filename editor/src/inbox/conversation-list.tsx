import { Badge, Group, Stack, Text, UnstyledButton } from '@mantine/core';
import type { Conversation, Team } from '../api/inbox-types.ts';
import { useContact } from '../api/queries/contacts.queries.ts';
import { contactLabel, since, STATE_COLORS, STATE_LABELS, timeOf } from './inbox-words.ts';
import { useSeenMarks } from './seen-marks.ts';

/** The conversations of one tab, newest activity first; the open one highlighted, unread ones bold with a dot. */
export function ConversationList({ items, selectedId, onSelect, teams, now, emptyText }: { items: Conversation[]; selectedId: string | null; onSelect: (id: string) => void; teams: Map<string, Team>; now: number; emptyText: string }) {
  if (items.length === 0)
    return (
      <Text c="dimmed" size="sm" p="md">
        {emptyText}
      </Text>
    );
  return (
    <Stack gap={0} component="ul" role="list" aria-label="Conversations" m={0} p={0} style={{ listStyle: 'none' }}>
      {items.map((c) => (
        <ConversationRow key={c.id} conversation={c} selected={c.id === selectedId} onSelect={onSelect} teamName={c.teamId ? teams.get(c.teamId)?.name : undefined} now={now} />
      ))}
    </Stack>
  );
}

function ConversationRow({ conversation: c, selected, onSelect, teamName, now }: { conversation: Conversation; selected: boolean; onSelect: (id: string) => void; teamName: string | undefined; now: number }) {
  const contact = useContact(c.contactId).data;
  const unread = useSeenMarks().isUnread(c) && !selected;
  const name = contactLabel(contact);
  const waiting = c.state === 'queued' && c.queuedAt;
  return (
    <li>
      <UnstyledButton
        onClick={() => onSelect(c.id)}
        aria-current={selected ? 'true' : undefined}
        aria-label={`${name}${unread ? ', unread' : ''}, ${STATE_LABELS[c.state]}`}
        data-conversation-id={c.id}
        data-state={c.state}
        w="100%"
        px="sm"
        py={10}
        style={{ borderBottom: '1px solid var(--mantine-color-default-border)', background: selected ? 'var(--mantine-color-blue-light)' : undefined }}
      >
        <Group justify="space-between" wrap="nowrap" gap="xs">
          <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
            {unread && <span aria-hidden="true" style={{ width: 8, height: 8, borderRadius: 4, background: 'var(--mantine-color-blue-filled)', flex: 'none' }} />}
            <Text size="sm" fw={unread ? 700 : 500} truncate>
              {name}
            </Text>
          </Group>
          <Text size="xs" c="dimmed" style={{ flex: 'none' }} title="Last message">
            {timeOf(c.lastMessageAt, now)}
          </Text>
        </Group>
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
