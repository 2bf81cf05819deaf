import { Badge, Button, Group, NativeSelect, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useBroadcastRecipients } from '../api/queries/broadcasts.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { RECIPIENT_STATUSES, type RecipientStatus } from '../../../engine/broadcasts/broadcast-state.ts';
import { SKIP_REASON_LABELS } from './broadcast-progress.tsx';

const STATUS_COLORS: Record<RecipientStatus, string> = {
  pending: 'gray',
  sent: 'blue',
  delivered: 'teal',
  read: 'grape',
  failed: 'red',
  skipped: 'yellow',
};

/**
 * The broadcast's recipients, filterable by their current status. `version` changes when the
 * broadcast's counts do: the first page is then asked again.
 */
export function RecipientsTable({ broadcastId, version }: { broadcastId: string; version: string }) {
  const [status, setStatus] = useState<RecipientStatus | ''>('');
  const recipients = useBroadcastRecipients(broadcastId, status, version);
  return (
    <Stack component="section" aria-labelledby="recipients-title" gap="sm">
      <Group justify="space-between" align="flex-end">
        <Title order={2} size="h4" id="recipients-title">
          Recipients
        </Title>
        <NativeSelect
          label="Current status"
          aria-label="Show recipients by status"
          value={status}
          onChange={(e) => setStatus(e.currentTarget.value as RecipientStatus | '')}
          data={[{ value: '', label: 'all' }, ...RECIPIENT_STATUSES.map((s) => ({ value: s, label: s }))]}
          w={180}
        />
      </Group>
      <QueryState query={recipients} label="recipients">
        {(data) => {
          const rows = data.pages.flatMap((p) => p.items);
          if (rows.length === 0)
            return (
              <Text c="dimmed">
                {status ? `No recipient is ${status}.` : 'No recipients yet: they are chosen when the broadcast starts.'}
              </Text>
            );
          return (
            <>
              <Table.ScrollContainer minWidth={560}>
                <Table verticalSpacing="xs" striped aria-label="Recipients">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Contact</Table.Th>
                      <Table.Th>Phone</Table.Th>
                      <Table.Th>Status now</Table.Th>
                      <Table.Th>Reason</Table.Th>
                      <Table.Th>Updated</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {rows.map((r) => (
                      <Table.Tr key={r.id}>
                        <Table.Td>
                          {r.contact.name ?? (
                            <Text span c="dimmed">
                              unnamed
                            </Text>
                          )}
                        </Table.Td>
                        <Table.Td>{r.contact.phone ?? ''}</Table.Td>
                        <Table.Td>
                          <Badge color={STATUS_COLORS[r.status]} variant="light" tt="none">
                            {r.status}
                          </Badge>
                        </Table.Td>
                        <Table.Td>{r.skipReason ? SKIP_REASON_LABELS[r.skipReason] : (r.failureReason ?? '')}</Table.Td>
                        <Table.Td>{new Date(r.updatedAt).toLocaleTimeString()}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
              {recipients.hasNextPage && (
                <Button variant="default" onClick={() => void recipients.fetchNextPage()} loading={recipients.isFetchingNextPage}>
                  Show more
                </Button>
              )}
            </>
          );
        }}
      </QueryState>
    </Stack>
  );
}
