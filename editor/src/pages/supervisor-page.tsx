import { useInterval } from '@mantine/hooks';
import { Anchor, Badge, Group, NumberInput, Paper, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import type { ConversationListItem, InboxAgent, Team, TeamFigures } from '../api/api-types.ts';
import { useConversations, useInboxAgents, useInboxOverview } from '../api/queries/inbox.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { useInboxEvents } from '../inbox/inbox-events.ts';
import { contactLabel, durationWords, since } from '../inbox/inbox-words.ts';
import { useViewer } from '../inbox/use-viewer.ts';

const SLA_STORAGE_KEY = 'om.inbox.slaMinutes';
const DEFAULT_SLA_MINUTES = 5;
const NOW_TICK_MS = 15_000;

function storedSlaMinutes(): number {
  const stored = Number(typeof localStorage === 'undefined' ? NaN : localStorage.getItem(SLA_STORAGE_KEY));
  return Number.isInteger(stored) && stored > 0 ? stored : DEFAULT_SLA_MINUTES;
}

const seconds = (value: number | null) => (value === null ? '–' : durationWords(value));

/** The queues at a glance for supervisors: per team the wait, agents with their availability and load, and who waits too long. */
export function SupervisorPage() {
  const viewer = useViewer();
  const [slaMinutes, setSlaMinutes] = useState(storedSlaMinutes);
  const overview = useInboxOverview(slaMinutes * 60);
  const agents = useInboxAgents();
  const queued = useConversations({ state: 'queued' });
  const [now, setNow] = useState(() => Date.now());
  useInterval(() => setNow(Date.now()), NOW_TICK_MS, { autoInvoke: true });
  useInboxEvents(true);

  const changeSla = (value: string | number) => {
    const minutes = typeof value === 'number' ? value : Number(value);
    if (!Number.isInteger(minutes) || minutes < 1) return;
    setSlaMinutes(minutes);
    localStorage.setItem(SLA_STORAGE_KEY, String(minutes));
  };
  const late = (queued.data?.items ?? [])
    .filter((c) => c.queuedAt && now - Date.parse(c.queuedAt) > slaMinutes * 60_000)
    .sort((a, b) => Date.parse(a.queuedAt!) - Date.parse(b.queuedAt!));

  return (
    <Stack gap="lg">
      <Group justify="space-between" align="center">
        <Title order={1}>Supervisor</Title>
        <NumberInput
          label="Target wait (minutes)"
          description="Waiting longer than this counts as late"
          value={slaMinutes}
          onChange={changeSla}
          min={1}
          max={1440}
          w={220}
        />
      </Group>
      <QueryState query={overview} label="team figures">
        {({ teams }) => <TeamFiguresView teams={teams} slaMinutes={slaMinutes} />}
      </QueryState>
      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg">
        <Paper withBorder p="md" radius="md" component="section" aria-label="Agents">
          <Title order={2} size="h4" mb="xs">
            Agents
          </Title>
          <QueryState query={agents} label="agents">
            {({ items }) => <AgentsTable agents={items} teams={viewer.teams} />}
          </QueryState>
        </Paper>
        <Paper withBorder p="md" radius="md" component="section" aria-label="Waiting longer than the target">
          <Title order={2} size="h4" mb="xs">
            Waiting longer than {slaMinutes} min
          </Title>
          {late.length === 0 ? (
            <Text c="dimmed" size="sm">
              Nobody. Every waiting contact is within the target.
            </Text>
          ) : (
            <Table aria-label="Late conversations" fz="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Contact</Table.Th>
                  <Table.Th>Team</Table.Th>
                  <Table.Th>Waiting</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {late.map((c) => (
                  <LateRow key={c.id} conversation={c} team={viewer.teams.find((t) => t.id === c.teamId)} now={now} />
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Paper>
      </SimpleGrid>
    </Stack>
  );
}

function TeamFiguresView({ teams, slaMinutes }: { teams: TeamFigures[]; slaMinutes: number }) {
  if (teams.length === 0)
    return (
      <Text c="dimmed">
        No teams yet.{' '}
        <Anchor component={Link} to="/settings/teams">
          Create a team
        </Anchor>{' '}
        to start routing conversations to people.
      </Text>
    );
  return (
    <Paper withBorder radius="md" component="section" aria-label="Teams">
      <Table aria-label="Team figures" striped highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Team</Table.Th>
            <Table.Th ta="right">Waiting</Table.Th>
            <Table.Th ta="right">Longest wait</Table.Th>
            <Table.Th ta="right">Over {slaMinutes} min</Table.Th>
            <Table.Th ta="right">With an agent</Table.Th>
            <Table.Th ta="right">Wait today (median)</Table.Th>
            <Table.Th ta="right">Wait today (90%)</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {teams.map((t) => (
            <Table.Tr key={t.teamId} data-team={t.name}>
              <Table.Td fw={600}>{t.name}</Table.Td>
              <Table.Td ta="right" data-figure="queued">
                {t.queued}
              </Table.Td>
              <Table.Td ta="right">{seconds(t.longestWaitSeconds)}</Table.Td>
              <Table.Td ta="right">
                {t.overSla > 0 ? (
                  <Badge color="red" variant="light">
                    {t.overSla}
                  </Badge>
                ) : (
                  0
                )}
              </Table.Td>
              <Table.Td ta="right">{t.assigned}</Table.Td>
              <Table.Td ta="right">{seconds(t.waitP50Seconds)}</Table.Td>
              <Table.Td ta="right">{seconds(t.waitP90Seconds)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}

const AVAILABILITY_COLORS = { online: 'green', away: 'yellow', offline: 'gray' } as const;

function AgentsTable({ agents, teams }: { agents: InboxAgent[]; teams: Team[] }) {
  if (agents.length === 0)
    return (
      <Text c="dimmed" size="sm">
        No agents in any team yet.
      </Text>
    );
  const teamName = new Map(teams.map((t) => [t.id, t.name]));
  return (
    <Table aria-label="Agents" fz="sm">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Agent</Table.Th>
          <Table.Th>Availability</Table.Th>
          <Table.Th>Load</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {agents.map((a) => (
          <Table.Tr key={a.userId}>
            <Table.Td>
              <Text size="sm" fw={500}>
                {a.name || a.email}
              </Text>
              <Text size="xs" c="dimmed">
                {a.teamIds
                  .map((id) => teamName.get(id) ?? '')
                  .filter(Boolean)
                  .join(', ')}
              </Text>
            </Table.Td>
            <Table.Td>
              <Badge variant="light" color={AVAILABILITY_COLORS[a.availability]}>
                {a.availability}
              </Badge>
              {a.availability === 'online' && !a.connected && (
                <Text size="xs" c="dimmed">
                  inbox not open
                </Text>
              )}
            </Table.Td>
            <Table.Td miw={120}>
              <Text size="xs">
                {a.load} of {a.capacity}
              </Text>
              <Progress
                value={a.capacity > 0 ? Math.min(100, (100 * a.load) / a.capacity) : 0}
                color={a.load >= a.capacity ? 'red' : 'blue'}
                size="sm"
                aria-label={`${a.name || a.email}: ${a.load} of ${a.capacity} conversations`}
              />
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function LateRow({ conversation: c, team, now }: { conversation: ConversationListItem; team: Team | undefined; now: number }) {
  const contact = c.contact;
  return (
    <Table.Tr>
      <Table.Td>
        <Anchor component={Link} to={`/inbox/${c.id}?tab=queue`} size="sm">
          {contactLabel(contact)}
        </Anchor>
      </Table.Td>
      <Table.Td>{team?.name ?? 'No team'}</Table.Td>
      <Table.Td>
        <Text size="sm" c="red.8" fw={600}>
          {since(c.queuedAt!, now)}
        </Text>
      </Table.Td>
    </Table.Tr>
  );
}
