import { Anchor, Group, Stack, Table, Text, UnstyledButton } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import type { BroadcastComparison } from '../api/api-types.ts';
import { comparisonRow, shownShare, sortRows, type ComparisonColumn, type ComparisonSort } from './broadcast-comparison.ts';
import { DefinedLabel } from './engagement-cards.tsx';

interface Column {
  key: ComparisonColumn;
  label: string;
  /** What the column counts, on hover and focus. */
  definition?: string;
  numeric?: boolean;
}

/**
 * The most recently started broadcasts side by side, sortable by any column (newest first until
 * a header is pressed); each name opens its broadcast.
 */
export function ComparisonTable({ comparison }: { comparison: BroadcastComparison }) {
  const [sort, setSort] = useState<ComparisonSort>({ column: 'startedAt', descending: true });
  const { definitions } = comparison;
  const columns: Column[] = [
    { key: 'name', label: 'Name' },
    { key: 'startedAt', label: 'Sent at', definition: 'When the broadcast started sending.' },
    { key: 'recipients', label: 'Audience', definition: 'Who it was for, and how many recipients it had.', numeric: true },
    { key: 'sent', label: 'Sent', definition: 'Recipients whose message was sent, delivered or read.', numeric: true },
    {
      key: 'deliveredShare',
      label: 'Delivered',
      definition: 'Recipients whose message was delivered or read, as a share of the recipients.',
      numeric: true,
    },
    { key: 'readShare', label: 'Read', definition: 'Recipients who read it, as a share of the recipients.', numeric: true },
    { key: 'replyRate', label: 'Replied', definition: definitions.replyRate, numeric: true },
    { key: 'optOutRate', label: 'Opted out', definition: definitions.optOutRate, numeric: true },
  ];
  const rows = sortRows(comparison.items.map(comparisonRow), sort);
  const press = (column: ComparisonColumn) =>
    // A first press sorts names A→Z and numbers highest first; a second press reverses.
    setSort((current) =>
      current.column === column ? { column, descending: !current.descending } : { column, descending: column !== 'name' },
    );

  const header = (c: Column): ReactNode => {
    const active = sort.column === c.key;
    return (
      <Table.Th
        key={c.key}
        ta={c.numeric ? 'right' : undefined}
        aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}
      >
        <Group gap={4} justify={c.numeric ? 'flex-end' : 'flex-start'} wrap="nowrap">
          {c.definition ? <DefinedLabel label={c.label} definition={c.definition} /> : <span>{c.label}</span>}
          <UnstyledButton onClick={() => press(c.key)} aria-label={`Sort by ${c.label}`} fz="sm" c={active ? undefined : 'dimmed'} px={2}>
            {active ? (sort.descending ? '▼' : '▲') : '↕'}
          </UnstyledButton>
        </Group>
      </Table.Th>
    );
  };

  return (
    <Stack gap="xs">
      <Table.ScrollContainer minWidth={920}>
        <Table verticalSpacing="sm" highlightOnHover striped aria-label="Recent broadcasts compared">
          <Table.Thead>
            <Table.Tr>{columns.map(header)}</Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r) => (
              <Table.Tr key={r.id} data-broadcast={r.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/broadcasts/${r.id}`} fw={600}>
                    {r.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{new Date(r.startedAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}</Text>
                </Table.Td>
                <Table.Td ta="right" data-number="recipients">
                  <Text size="sm">{r.audience}</Text>
                  <Text size="xs" c="dimmed">
                    {r.recipients.toLocaleString()} recipients
                  </Text>
                </Table.Td>
                <Table.Td ta="right" data-number="sent">
                  {r.sent.toLocaleString()}
                </Table.Td>
                <Table.Td ta="right" data-number="delivered">
                  {shownShare(r.deliveredShare)}
                </Table.Td>
                <Table.Td ta="right" data-number="read">
                  {shownShare(r.readShare)}
                </Table.Td>
                <Table.Td ta="right" data-number="replied" fw={600}>
                  {shownShare(r.replyRate)}
                </Table.Td>
                <Table.Td ta="right" data-number="opted-out" fw={600}>
                  {shownShare(r.optOutRate)}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Text size="xs" c="dimmed">
        Delivered and Read are shares of the recipients (reached at least that step); Replied and Opted out are shares of the delivered
        recipients, replies within {definitions.replyWindowHours} hours of delivery and opt-outs within {definitions.optOutWindowDays} days.
        A flow broadcast sends no message of its own, so it has no rates (—).
      </Text>
    </Stack>
  );
}
