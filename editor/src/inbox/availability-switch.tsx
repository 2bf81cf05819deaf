import { Group, SegmentedControl, Text, Tooltip } from '@mantine/core';
import type { Availability } from '../api/api-types.ts';
import { useMyAvailability, useSetAvailability } from '../api/queries/inbox.queries.ts';
import { useTeams } from '../api/queries/teams.queries.ts';

const CHOICES: { value: Availability; label: string; means: string }[] = [
  { value: 'online', label: 'Online', means: 'You get new conversations while your inbox is open.' },
  { value: 'away', label: 'Away', means: 'You keep your conversations and get nothing new.' },
  { value: 'offline', label: 'Offline', means: 'Your open conversations go back to the queue.' },
];

/** The agent's availability in the shell's header: online, away or offline, and whether their inbox is connected. */
export function AvailabilitySwitch({ userId }: { userId: string }) {
  // Only members of a support team are given conversations: the switch is theirs.
  const inTeam = useTeams().data?.items.some((t) => t.members.some((m) => m.userId === userId)) ?? false;
  const mine = useMyAvailability(inTeam);
  const set = useSetAvailability();
  const value = set.isPending && set.variables ? set.variables : mine.data?.availability;
  if (!inTeam || !mine.data) return null;
  const choice = CHOICES.find((c) => c.value === value);
  const hint = `${choice?.means ?? ''}${mine.data.availability === 'online' && !mine.data.connected ? ' Open the inbox to receive conversations.' : ''} Open conversations: ${mine.data.load}.`;
  return (
    <Tooltip label={hint} multiline w={260}>
      <Group gap={6} wrap="nowrap">
        <Text size="xs" c="dimmed" visibleFrom="lg">
          Inbox
        </Text>
        <SegmentedControl
          size="xs"
          aria-label="Your availability"
          value={value}
          onChange={(v) => set.mutate(v as Availability)}
          color={value === 'online' ? 'green' : value === 'away' ? 'yellow' : 'gray'}
          data={CHOICES.map((c) => ({ value: c.value, label: c.label }))}
        />
      </Group>
    </Tooltip>
  );
}
