import { ActionIcon, Anchor, Button, Code, Group, Modal, Paper, Select, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { modals } from '@mantine/modals';
import { useState } from 'react';
import { Link } from 'react-router';
import type { RoutingRule } from '../api/api-types.ts';
import {
  useDeleteRoutingRule,
  useMoveRoutingRule,
  useRoutingRules,
  useSaveRoutingRule,
  useTeams,
  type RoutingRuleInput,
} from '../api/queries/teams.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { ConditionBuilder } from '../forms/condition-builder.tsx';
import { describeCondition } from '../forms/condition-model.ts';
import type { TemplateVariable } from '../forms/template-variables.ts';
import { messageOf } from '../error-message.ts';
import { EditDeleteActions } from '../shell/edit-delete-actions.tsx';

/** What a routing rule can read when a conversation enters the queue (the server's context). */
export const ROUTING_VARIABLES: readonly TemplateVariable[] = [
  { path: 'message.text', label: 'Message text' },
  { path: 'contact.tags', label: 'Contact tags' },
  { path: 'contact.name', label: 'Contact name' },
  { path: 'contact.phone', label: 'Contact phone' },
  { path: 'contact.attributes.language', label: 'Contact attribute: language' },
  { path: 'channel.kind', label: 'Channel kind' },
  { path: 'channel.id', label: 'Channel id' },
  { path: 'message.type', label: 'Message type' },
];

const STARTING_CONDITION = { in: ['invoice', { var: 'message.text' }] };

/** Routing rules for admins: tried in order when a conversation enters the queue; the first that holds picks the team. */
export function RoutingRulesPage() {
  const rules = useRoutingRules();
  const teams = useTeams().data?.items ?? [];
  const move = useMoveRoutingRule();
  const remove = useDeleteRoutingRule();
  const save = useSaveRoutingRule();
  const [editing, setEditing] = useState<RoutingRule | 'new' | null>(null);
  const teamName = (id: string) => teams.find((t) => t.id === id)?.name ?? 'a deleted team';

  /** Swaps a rule with its neighbour (positions are saved as the list's order). */
  const swap = (list: RoutingRule[], index: number, by: -1 | 1) => {
    const other = list[index + by];
    const rule = list[index];
    if (!other || !rule) return;
    const ordered = [...list];
    ordered[index] = other;
    ordered[index + by] = rule;
    ordered.forEach((r, position) => r.position !== position && move.mutate({ id: r.id, position }));
  };
  const confirmDelete = (rule: RoutingRule) =>
    modals.openConfirmModal({
      title: `Delete the rule “${rule.name}”?`,
      labels: { confirm: 'Delete', cancel: 'Keep it' },
      confirmProps: { color: 'red' },
      onConfirm: () => remove.mutate(rule),
    });

  return (
    <Stack gap="lg">
      <Group justify="space-between">
        <Title order={1}>Routing rules</Title>
        <Button onClick={() => setEditing('new')} disabled={teams.length === 0}>
          New rule
        </Button>
      </Group>
      <Text c="dimmed" size="sm">
        When a flow hands a conversation off without naming a team, these rules are tried from the top: the first that matches picks the
        team. When none matches, the default team gets it.
      </Text>
      {teams.length === 0 && (
        <Text>
          <Anchor component={Link} to="/settings/teams">
            Create a team
          </Anchor>{' '}
          first: a rule sends conversations to a team.
        </Text>
      )}
      <QueryState query={rules} label="routing rules">
        {({ items }) =>
          items.length === 0 ? (
            <Paper withBorder p="lg" radius="md">
              <Text>No rules: every hand-off without a team goes to the default team.</Text>
            </Paper>
          ) : (
            <Paper withBorder radius="md">
              <Table aria-label="Routing rules" verticalSpacing="sm">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th w={80}>Order</Table.Th>
                    <Table.Th>Rule</Table.Th>
                    <Table.Th>Sends to</Table.Th>
                    <Table.Th>On</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((r, i) => (
                    <Table.Tr key={r.id} data-rule={r.name}>
                      <Table.Td>
                        <Group gap={2} wrap="nowrap">
                          <ActionIcon
                            size="sm"
                            variant="subtle"
                            aria-label={`Move ${r.name} up`}
                            disabled={i === 0}
                            onClick={() => swap(items, i, -1)}
                          >
                            ↑
                          </ActionIcon>
                          <ActionIcon
                            size="sm"
                            variant="subtle"
                            aria-label={`Move ${r.name} down`}
                            disabled={i === items.length - 1}
                            onClick={() => swap(items, i, 1)}
                          >
                            ↓
                          </ActionIcon>
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        <Text fw={600} size="sm">
                          {r.name}
                        </Text>
                        <RuleWords rule={r.condition} />
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{teamName(r.teamId)}</Text>
                      </Table.Td>
                      <Table.Td>
                        <Switch
                          aria-label={`${r.name} is on`}
                          checked={r.enabled}
                          onChange={(e) => save.mutate({ id: r.id, rule: { enabled: e.currentTarget.checked } })}
                        />
                      </Table.Td>
                      <Table.Td>
                        <EditDeleteActions name={r.name} onEdit={() => setEditing(r)} onDelete={() => confirmDelete(r)} />
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
        <RuleForm
          key={editing === 'new' ? 'new' : editing.id}
          rule={editing === 'new' ? null : editing}
          teams={teams.map((t) => ({ value: t.id, label: t.name }))}
          onClose={() => setEditing(null)}
        />
      )}
    </Stack>
  );
}

const labelOfPath = (path: string) => ROUTING_VARIABLES.find((v) => v.path === path)?.label ?? path;

/** A rule's condition in words; the JSON when it uses operators the builder does not know. */
function RuleWords({ rule }: { rule: unknown }) {
  const words = describeCondition(rule, labelOfPath);
  return words ? (
    <Text size="sm" c="dimmed">
      When {words}
    </Text>
  ) : (
    <Code fz="xs" style={{ overflowWrap: 'anywhere' }}>
      {JSON.stringify(rule)}
    </Code>
  );
}

function RuleForm({ rule, teams, onClose }: { rule: RoutingRule | null; teams: { value: string; label: string }[]; onClose: () => void }) {
  const [value, setValue] = useState<RoutingRuleInput>(() => ({
    name: rule?.name ?? '',
    condition: rule?.condition ?? STARTING_CONDITION,
    teamId: rule?.teamId ?? teams[0]?.value ?? '',
    enabled: rule?.enabled ?? true,
  }));
  const save = useSaveRoutingRule();
  return (
    <Modal opened onClose={onClose} title={rule ? `Edit “${rule.name}”` : 'New routing rule'} size="xl">
      <Stack>
        <TextInput
          label="Name"
          required
          maxLength={100}
          value={value.name}
          onChange={(e) => setValue({ ...value, name: e.currentTarget.value })}
          placeholder="Invoices to billing"
        />
        <ConditionBuilder
          label="When"
          value={value.condition}
          variables={ROUTING_VARIABLES}
          onChange={(condition) => setValue({ ...value, condition })}
        />
        <Select
          label="Send to team"
          data={teams}
          value={value.teamId}
          onChange={(v) => v && setValue({ ...value, teamId: v })}
          allowDeselect={false}
        />
        <Switch label="On" checked={value.enabled} onChange={(e) => setValue({ ...value, enabled: e.currentTarget.checked })} />
        {save.error && (
          <Text c="red.8" size="sm" role="alert">
            {messageOf(save.error)}
          </Text>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            onClick={() => save.mutate({ id: rule?.id ?? null, rule: { ...value, name: value.name.trim() } }, { onSuccess: onClose })}
            loading={save.isPending}
            disabled={!value.name.trim() || !value.teamId}
          >
            Save rule
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
