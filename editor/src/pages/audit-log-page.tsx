import { Button, Card, Code, Group, Select, Table, Text } from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import { useMemo, useState } from 'react';
import { useMembers } from '../api/queries/members.queries.ts';
import {
  auditQueryString,
  useApiKeys,
  useAuditActions,
  useAuditLog,
  type AuditEntry,
  type AuditFilter,
} from '../api/queries/team.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { EmptyState, PageHeader } from '../shell/page-header.tsx';
import { pickedRange, type PickedDay } from '../shell/picked-days.ts';

/** "api_key.revoked" → "Api key revoked": readable without a glossary. */
function actionName(action: string): string {
  const words = action.replace(/[._]/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function actorName(e: AuditEntry): string {
  if (e.actorKind === 'system') return 'OneMessage (automatic)';
  if (e.actorKind === 'api_key') return e.actorName ? `API key ${e.actorName}` : 'A revoked API key';
  return e.actorName ?? 'A former member';
}

/** Who did what and when in this workspace: filter by who, what and when, export as CSV. */
export function AuditLogPage() {
  const [actorId, setActorId] = useState<string | null>(null);
  const [action, setAction] = useState<string | null>(null);
  const [range, setRange] = useState<[PickedDay, PickedDay]>([null, null]);
  const filter = useMemo<AuditFilter>(() => {
    // The end day is included: the range ends at the start of the day after it.
    const days = pickedRange(range);
    return {
      ...(actorId ? { actorId } : {}),
      ...(action ? { action } : {}),
      ...(days ? { from: days.from.toISOString(), to: days.to.toISOString() } : {}),
    };
  }, [actorId, action, range]);
  const log = useAuditLog(filter);
  const members = useMembers();
  const keys = useApiKeys();
  const actions = useAuditActions();
  const actorOptions = [
    ...(members.data ?? []).map((m) => ({ value: m.userId, label: m.name })),
    ...(keys.data ?? []).map((k) => ({ value: k.id, label: `API key ${k.name}` })),
  ];
  const exportUrl = `/api/v1/audit-log/export${auditQueryString(filter) ? `?${auditQueryString(filter)}` : ''}`;

  return (
    <>
      <PageHeader title="Audit log" description="Who changed what in this workspace, and when. Kept for the period set under Privacy." />
      <Card withBorder mb="lg" component="section" aria-label="Filters">
        <Group align="flex-end" gap="sm" wrap="wrap">
          <Select label="Who" placeholder="Anyone" data={actorOptions} value={actorId} onChange={setActorId} clearable searchable w={240} />
          <Select
            label="What"
            placeholder="Any action"
            data={(actions.data ?? []).map((a) => ({ value: a, label: actionName(a) }))}
            value={action}
            onChange={setAction}
            clearable
            searchable
            w={260}
          />
          <DatePickerInput
            type="range"
            label="When"
            placeholder="Any day"
            value={range}
            onChange={(v) => setRange(v as [PickedDay, PickedDay])}
            clearable
            allowSingleDateInRange
            w={280}
          />
          <Button component="a" href={exportUrl} download variant="default">
            Export CSV
          </Button>
        </Group>
      </Card>
      <QueryState query={log} label="the audit log">
        {(data) => {
          const entries = data.pages.flatMap((p) => p.items);
          if (entries.length === 0) return <EmptyState title="Nothing recorded for these filters." />;
          return (
            <>
              <Table.ScrollContainer minWidth={720}>
                <Table verticalSpacing="xs" aria-label="Audit log entries">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>When</Table.Th>
                      <Table.Th>Who</Table.Th>
                      <Table.Th>What</Table.Th>
                      <Table.Th>Details</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {entries.map((e) => (
                      <Table.Tr key={e.id}>
                        <Table.Td>
                          <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                            {new Date(e.createdAt).toLocaleString()}
                          </Text>
                        </Table.Td>
                        <Table.Td>{actorName(e)}</Table.Td>
                        <Table.Td>{actionName(e.action)}</Table.Td>
                        <Table.Td>
                          {Object.keys(e.details).length > 0 ? (
                            <Code>{JSON.stringify(e.details)}</Code>
                          ) : (
                            <Text c="dimmed" size="sm">
                              —
                            </Text>
                          )}
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
              {log.hasNextPage && (
                <Group justify="center" mt="md">
                  <Button variant="default" onClick={() => void log.fetchNextPage()} loading={log.isFetchingNextPage}>
                    Show more
                  </Button>
                </Group>
              )}
            </>
          );
        }}
      </QueryState>
    </>
  );
}
