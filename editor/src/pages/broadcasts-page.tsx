import { Anchor, Button, Stack, Table, Tabs, Text } from '@mantine/core';
import { Link, useSearchParams } from 'react-router';
import type { Broadcast } from '../api/api-types.ts';
import { useBroadcastComparison, useBroadcasts } from '../api/queries/broadcasts.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { broadcastNumbers } from '../broadcasts/broadcast-numbers.ts';
import { ProgressBar, StateBadge } from '../broadcasts/broadcast-progress.tsx';
import { ComparisonTable } from '../broadcasts/comparison-table.tsx';
import { EmptyState, PageHeader } from '../shell/page-header.tsx';

/** Broadcasts the comparison shows. */
const COMPARED_BROADCASTS = 20;

/**
 * The workspace's broadcasts (state, progress, numbers), and a comparison of the recent ones
 * with their reply and opt-out rates; the tab shown is in the URL (?view=compare).
 */
export function BroadcastsPage() {
  const [params, setParams] = useSearchParams();
  const view = params.get('view') === 'compare' ? 'compare' : 'all';
  const newButton = (
    <Button component={Link} to="/broadcasts/new">
      New broadcast
    </Button>
  );
  return (
    <>
      <PageHeader
        title="Broadcasts"
        description="One message, or a flow, for a segment of your contacts: now, at a time, or on a schedule."
        actions={newButton}
      />
      <Tabs value={view} onChange={(v) => setParams(v === 'compare' ? { view: 'compare' } : {}, { replace: true })} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="all">All broadcasts</Tabs.Tab>
          <Tabs.Tab value="compare">Compare recent</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="all">
          <BroadcastList />
        </Tabs.Panel>
        <Tabs.Panel value="compare">
          <RecentComparison />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}

function RecentComparison() {
  const comparison = useBroadcastComparison(COMPARED_BROADCASTS);
  return (
    <QueryState query={comparison} label="the comparison">
      {(data) =>
        data.items.length === 0 ? (
          <EmptyState title="Nothing to compare yet">
            Broadcasts show here once they start sending: sent, delivered and read, and how many replied or opted out.
          </EmptyState>
        ) : (
          <ComparisonTable comparison={data} />
        )
      }
    </QueryState>
  );
}

/** The workspace's broadcasts with their state, progress and numbers (reached at least); occurrences of a recurring one name it. */
function BroadcastList() {
  const broadcasts = useBroadcasts();
  return (
    <>
      <QueryState query={broadcasts} label="broadcasts">
        {(data) => {
          const items = data.pages.flatMap((p) => p.items);
          if (items.length === 0)
            return (
              <EmptyState title="No broadcasts yet">
                Press New broadcast to message a segment of your contacts, with a live count of who it reaches.
              </EmptyState>
            );
          const names = new Map(items.map((b) => [b.id, b.name]));
          return (
            <Stack gap="sm">
              <Table.ScrollContainer minWidth={880}>
                <Table verticalSpacing="sm" highlightOnHover aria-label="Broadcasts">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Name</Table.Th>
                      <Table.Th>State</Table.Th>
                      <Table.Th>Progress</Table.Th>
                      <Table.Th ta="right">Recipients</Table.Th>
                      <Table.Th ta="right" title="sent, delivered or read">
                        Sent
                      </Table.Th>
                      <Table.Th ta="right" title="delivered or read">
                        Delivered
                      </Table.Th>
                      <Table.Th ta="right">Read</Table.Th>
                      <Table.Th ta="right">Failed</Table.Th>
                      <Table.Th>When</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {items.map((b) => {
                      const n = broadcastNumbers(b.stats);
                      return (
                        <Table.Tr key={b.id} data-broadcast={b.id}>
                          <Table.Td>
                            <Anchor component={Link} to={`/broadcasts/${b.id}`} fw={600}>
                              {b.name}
                            </Anchor>
                            {b.parentId && (
                              <Text size="xs" c="dimmed">
                                occurrence of {names.get(b.parentId) ?? 'a recurring broadcast'}
                              </Text>
                            )}
                          </Table.Td>
                          <Table.Td>
                            <StateBadge state={b.state} reason={b.stateReason} />
                          </Table.Td>
                          <Table.Td miw={150}>
                            <ProgressBar percent={b.stats.percentDone} label={`Progress of ${b.name}`} />
                          </Table.Td>
                          <Table.Td ta="right" data-number="recipients">
                            {n.recipients}
                          </Table.Td>
                          <Table.Td ta="right" data-number="sent">
                            {n.sent}
                          </Table.Td>
                          <Table.Td ta="right" data-number="delivered">
                            {n.delivered}
                          </Table.Td>
                          <Table.Td ta="right" data-number="read">
                            {n.read}
                          </Table.Td>
                          <Table.Td ta="right" data-number="failed">
                            {n.failed}
                          </Table.Td>
                          <Table.Td>
                            <Text size="sm">{whenOf(b)}</Text>
                          </Table.Td>
                        </Table.Tr>
                      );
                    })}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
              <Text size="xs" c="dimmed">
                Sent, Delivered and Read count the recipients who reached at least that step: a read message was also delivered and sent.
              </Text>
              {broadcasts.hasNextPage && (
                <Button variant="default" onClick={() => void broadcasts.fetchNextPage()} loading={broadcasts.isFetchingNextPage}>
                  Show more
                </Button>
              )}
            </Stack>
          );
        }}
      </QueryState>
    </>
  );
}

function whenOf(b: Broadcast): string {
  if (b.finishedAt) return `finished ${new Date(b.finishedAt).toLocaleString()}`;
  if (b.startedAt) return `started ${new Date(b.startedAt).toLocaleString()}`;
  if (b.nextRunAt) return `${b.schedule.kind === 'recurring' ? 'next' : 'starts'} ${new Date(b.nextRunAt).toLocaleString()}`;
  return b.schedule.kind === 'recurring' ? `recurring ${b.schedule.cron}` : '—';
}
