import {
  Badge,
  Button,
  Group,
  Modal,
  MultiSelect,
  NumberInput,
  Paper,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { modals } from '@mantine/modals';
import { useState } from 'react';
import type { Team, TeamInput, TeamStrategy } from '../api/api-types.ts';
import { useMembers } from '../api/queries/contacts.queries.ts';
import { useCreateTeam, useDeleteTeam, useTeams, useUpdateTeam } from '../api/queries/teams.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { durationWords } from '../inbox/inbox-words.ts';
import { EditDeleteActions } from '../shell/edit-delete-actions.tsx';

export const STRATEGIES: { value: TeamStrategy; label: string; means: string }[] = [
  { value: 'round_robin', label: 'Round robin', means: 'Each available agent in turn.' },
  { value: 'least_busy', label: 'Least busy', means: 'The available agent with the fewest open conversations.' },
  { value: 'manual', label: 'Manual', means: 'Nobody is assigned: agents take conversations from the queue.' },
];

const EMPTY_TEAM: TeamInput = {
  name: '',
  strategy: 'round_robin',
  sticky: false,
  defaultCapacity: 5,
  isDefault: false,
  handoffTimeoutSeconds: null,
  handoffTimeoutMessage: null,
  autoResolveHours: null,
  members: [],
};

/** Support teams for admins: who works which queue, how conversations are shared out, capacity, timeouts. */
export function TeamsPage() {
  const teams = useTeams();
  const members = useMembers().data?.items ?? [];
  const remove = useDeleteTeam();
  const [editing, setEditing] = useState<Team | 'new' | null>(null);
  const nameOf = (userId: string) => members.find((m) => m.userId === userId)?.name ?? 'a former member';

  const confirmDelete = (team: Team) =>
    modals.openConfirmModal({
      title: `Delete the team ${team.name}?`,
      children: (
        <Text size="sm">
          Its routing rules are deleted with it. A team with open conversations cannot be deleted: transfer or resolve them first.
        </Text>
      ),
      labels: { confirm: 'Delete team', cancel: 'Keep it' },
      confirmProps: { color: 'red' },
      onConfirm: () => remove.mutate(team),
    });

  return (
    <Stack gap="lg">
      <Group justify="space-between">
        <Title order={1}>Teams</Title>
        <Button onClick={() => setEditing('new')}>New team</Button>
      </Group>
      <Text c="dimmed" size="sm">
        A hand-off goes to the team its flow names, else to the first routing rule that matches, else to the default team. Agents who are
        online with room get its conversations, oldest first.
      </Text>
      <QueryState query={teams} label="teams">
        {({ items }) =>
          items.length === 0 ? (
            <Paper withBorder p="lg" radius="md">
              <Text>No teams yet. Create one, add your agents, and hand-offs reach them.</Text>
            </Paper>
          ) : (
            <Paper withBorder radius="md">
              <Table aria-label="Teams" verticalSpacing="sm">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Team</Table.Th>
                    <Table.Th>Assignment</Table.Th>
                    <Table.Th>Agents</Table.Th>
                    <Table.Th>When nobody takes it</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((t) => (
                    <Table.Tr key={t.id} data-team={t.name}>
                      <Table.Td>
                        <Group gap={6}>
                          <Text fw={600}>{t.name}</Text>
                          {t.isDefault && (
                            <Badge size="sm" variant="light">
                              Default
                            </Badge>
                          )}
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{STRATEGIES.find((s) => s.value === t.strategy)?.label}</Text>
                        <Text size="xs" c="dimmed">
                          up to {t.defaultCapacity} each{t.sticky ? ' · returning contacts to their agent' : ''}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">
                          {t.members.length === 0
                            ? 'Nobody yet'
                            : t.members.map((m) => `${nameOf(m.userId)}${m.capacity ? ` (${m.capacity})` : ''}`).join(', ')}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">
                          {t.handoffTimeoutSeconds
                            ? `back to the bot after ${durationWords(t.handoffTimeoutSeconds)}`
                            : 'waits for an agent'}
                        </Text>
                        {t.autoResolveHours && (
                          <Text size="xs" c="dimmed">
                            resolved after {t.autoResolveHours} h of silence
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <EditDeleteActions name={t.name} onEdit={() => setEditing(t)} onDelete={() => confirmDelete(t)} />
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
          )
        }
      </QueryState>
      {editing && (
        <TeamForm
          key={editing === 'new' ? 'new' : editing.id}
          team={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          members={members.map((m) => ({ value: m.userId, label: `${m.name} (${m.email})` }))}
        />
      )}
    </Stack>
  );
}

function TeamForm({ team, onClose, members }: { team: Team | null; onClose: () => void; members: { value: string; label: string }[] }) {
  const [value, setValue] = useState<TeamInput>(() =>
    team
      ? {
          name: team.name,
          strategy: team.strategy,
          sticky: team.sticky,
          defaultCapacity: team.defaultCapacity,
          isDefault: team.isDefault,
          handoffTimeoutSeconds: team.handoffTimeoutSeconds,
          handoffTimeoutMessage: team.handoffTimeoutMessage,
          autoResolveHours: team.autoResolveHours,
          members: team.members,
        }
      : EMPTY_TEAM,
  );
  const create = useCreateTeam();
  const update = useUpdateTeam();
  const saving = create.isPending || update.isPending;
  const set = <K extends keyof TeamInput>(key: K, v: TeamInput[K]) => setValue((current) => ({ ...current, [key]: v }));
  const timeoutMinutes = value.handoffTimeoutSeconds === null ? '' : Math.round(value.handoffTimeoutSeconds / 60);

  function save() {
    const body: TeamInput = {
      ...value,
      name: value.name.trim(),
      handoffTimeoutMessage: value.handoffTimeoutSeconds === null ? null : value.handoffTimeoutMessage?.trim() || null,
    };
    if (team) update.mutate({ id: team.id, team: body }, { onSuccess: onClose });
    else create.mutate(body, { onSuccess: onClose });
  }

  return (
    <Modal opened onClose={onClose} title={team ? `Edit ${team.name}` : 'New team'} size="lg">
      <Stack>
        <TextInput label="Name" required maxLength={100} value={value.name} onChange={(e) => set('name', e.currentTarget.value)} />
        <Select
          label="Assignment"
          allowDeselect={false}
          data={STRATEGIES.map((s) => ({ value: s.value, label: `${s.label}: ${s.means}` }))}
          value={value.strategy}
          onChange={(v) => v && set('strategy', v as TeamStrategy)}
        />
        <Group grow align="flex-start">
          <NumberInput
            label="Conversations per agent at once"
            min={1}
            max={1000}
            value={value.defaultCapacity}
            onChange={(v) => typeof v === 'number' && set('defaultCapacity', v)}
          />
          <Stack gap="xs" pt="lg">
            <Switch
              label="Returning contacts go back to their agent"
              checked={value.sticky}
              onChange={(e) => set('sticky', e.currentTarget.checked)}
            />
            <Switch
              label="Default team for hand-offs"
              checked={value.isDefault}
              onChange={(e) => set('isDefault', e.currentTarget.checked)}
            />
          </Stack>
        </Group>
        <MultiSelect
          label="Agents"
          placeholder="Pick members"
          searchable
          data={members}
          value={value.members.map((m) => m.userId)}
          onChange={(ids) =>
            set(
              'members',
              ids.map((userId) => value.members.find((m) => m.userId === userId) ?? { userId, capacity: null }),
            )
          }
        />
        {value.members.length > 0 && (
          <Stack gap={4}>
            <Text size="sm" fw={500}>
              Capacity of each agent (empty: the team's {value.defaultCapacity})
            </Text>
            {value.members.map((m) => (
              <Group key={m.userId} justify="space-between" wrap="nowrap">
                <Text size="sm" truncate>
                  {members.find((o) => o.value === m.userId)?.label ?? m.userId}
                </Text>
                <NumberInput
                  aria-label={`Capacity of ${members.find((o) => o.value === m.userId)?.label ?? 'agent'}`}
                  w={110}
                  min={1}
                  max={1000}
                  placeholder={String(value.defaultCapacity)}
                  value={m.capacity ?? ''}
                  onChange={(v) =>
                    set(
                      'members',
                      value.members.map((o) => (o.userId === m.userId ? { ...o, capacity: typeof v === 'number' ? v : null } : o)),
                    )
                  }
                />
              </Group>
            ))}
          </Stack>
        )}
        <Group grow align="flex-start">
          <NumberInput
            label="Back to the bot after (minutes)"
            description="Empty: the contact waits until an agent takes it"
            min={1}
            max={7 * 24 * 60}
            value={timeoutMinutes}
            onChange={(v) => set('handoffTimeoutSeconds', typeof v === 'number' ? v * 60 : null)}
          />
          <NumberInput
            label="Resolve after hours of silence"
            description="Empty: never on its own"
            min={1}
            max={24 * 90}
            value={value.autoResolveHours ?? ''}
            onChange={(v) => set('autoResolveHours', typeof v === 'number' ? v : null)}
          />
        </Group>
        {value.handoffTimeoutSeconds !== null && (
          <Textarea
            label="Message to the contact when nobody took it"
            maxLength={1000}
            autosize
            minRows={2}
            value={value.handoffTimeoutMessage ?? ''}
            onChange={(e) => set('handoffTimeoutMessage', e.currentTarget.value)}
            placeholder="Sorry, everyone is busy: our assistant is back to help."
          />
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={save} loading={saving} disabled={!value.name.trim()}>
            {team ? 'Save team' : 'Create team'}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
