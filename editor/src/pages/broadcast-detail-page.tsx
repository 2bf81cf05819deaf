import { Button, Card, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { lazy, Suspense } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import type { Broadcast } from '../api/api-types.ts';
import { broadcastKeys, useBroadcast, useBroadcastEngagement, useBroadcastTimeline } from '../api/queries/broadcasts.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { useApiMutation } from '../api/use-api-mutation.ts';
import { STATUS_SETTLE_MS } from '../broadcasts/broadcast-polling.ts';
import { CurrentStatus, NumberCards, ProgressBar, SkippedCounts, StateBadge } from '../broadcasts/broadcast-progress.tsx';
import { BroadcastSummary } from '../broadcasts/broadcast-summary.tsx';
import { EngagementCards } from '../broadcasts/engagement-cards.tsx';
import { ErrorWithDetails, shownError } from '../broadcasts/error-with-details.tsx';
import { OccurrencesList } from '../broadcasts/occurrences-list.tsx';
import { RecipientsTable } from '../broadcasts/recipients-table.tsx';
import { useTimeReached } from '../broadcasts/use-time-reached.ts';
import { canApply, FINAL_BROADCAST_STATES, type BroadcastAction } from '../../../engine/broadcasts/broadcast-state.ts';
import { BackLink } from '../shell/back-link.tsx';
import { confirmAction } from '../shell/confirm.tsx';

// The chart library is the largest part of the app: loaded only when a broadcast's page opens.
const DeliveryChart = lazy(() => import('../broadcasts/delivery-chart.tsx').then((m) => ({ default: m.DeliveryChart })));

/** The buttons of the life-cycle actions, in the order shown. */
const ACTIONS: { action: Exclude<BroadcastAction, 'edit'>; label: string; danger?: boolean }[] = [
  { action: 'schedule', label: 'Schedule' },
  { action: 'pause', label: 'Pause' },
  { action: 'resume', label: 'Resume' },
  { action: 'cancel', label: 'Cancel broadcast', danger: true },
];

/**
 * One broadcast, live: its state, progress and numbers are asked again every second while it is
 * scheduled, running or paused, and every few seconds for a while after it ends, while the last
 * delivery and read reports arrive (see `pollIntervalMs`); then the page says the numbers are final.
 */
export function BroadcastDetailPage({ broadcastId }: { broadcastId: string }) {
  const broadcast = useBroadcast(broadcastId);
  return (
    <>
      <BackLink to="/broadcasts">Broadcasts</BackLink>
      <QueryState query={broadcast} label="the broadcast">
        {(b) => <BroadcastDetail broadcast={b} />}
      </QueryState>
    </>
  );
}

function BroadcastDetail({ broadcast }: { broadcast: Broadcast }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const id = broadcast.id;
  const final = FINAL_BROADCAST_STATES.has(broadcast.state);
  const settleAt = final && broadcast.finishedAt ? Date.parse(broadcast.finishedAt) + STATUS_SETTLE_MS : null;
  const settled = useTimeReached(settleAt);
  const live = broadcast.state !== 'draft' && !final;
  const collecting = final && settleAt !== null && !settled;
  const timeline = useBroadcastTimeline(id, live || collecting);
  // A flow broadcast sends no broadcast message of its own: it has no delivered recipients to rate.
  const engagement = useBroadcastEngagement(id, broadcast.startedAt !== null && broadcast.content.kind !== 'flow');

  const apply = useApiMutation((api, action: Exclude<BroadcastAction, 'edit'>) => api.post<Broadcast>(`/broadcasts/${id}/${action}`), {
    notifyError: false,
    onSuccess: (b) => {
      queryClient.setQueryData(broadcastKeys.one(id), b);
      void queryClient.invalidateQueries({ queryKey: broadcastKeys.list() });
    },
  });
  const remove = useApiMutation((api) => api.delete(`/broadcasts/${id}`), {
    invalidates: [broadcastKeys.all],
    success: 'Draft deleted.',
    onSuccess: () => void navigate('/broadcasts'),
  });

  async function run(action: Exclude<BroadcastAction, 'edit'>) {
    if (
      action === 'cancel' &&
      !(await confirmAction({
        title: 'Cancel this broadcast?',
        message: 'Recipients not reached yet will not get it. Messages already sent stay sent.',
        confirmLabel: 'Cancel broadcast',
      }))
    )
      return;
    // A refusal (the broadcast moved on meanwhile): the page shows the state it is really in.
    apply.mutate(action, { onError: () => void queryClient.invalidateQueries({ queryKey: broadcastKeys.one(id) }) });
  }
  async function confirmDelete() {
    if (
      await confirmAction({
        title: 'Delete this draft?',
        message: 'It was never sent; nothing else changes.',
        confirmLabel: 'Delete draft',
      })
    )
      remove.mutate();
  }

  const updates = live ? 'Updating live' : collecting ? 'Collecting the last delivery and read reports' : final ? 'Final numbers' : null;
  return (
    <Stack gap="lg" mt="xs">
      <Group justify="space-between" align="flex-start" gap="sm">
        <Group gap="sm">
          <Title order={1} size="h2" id="broadcast-title">
            {broadcast.name}
          </Title>
          <StateBadge state={broadcast.state} reason={broadcast.stateReason} />
        </Group>
        <Group gap="xs">
          {/* A draft is scheduled, edited or deleted: pausing, resuming or cancelling it means nothing yet. */}
          {ACTIONS.filter((a) => (broadcast.state === 'draft' ? a.action === 'schedule' : a.action !== 'schedule')).map((a) => (
            <Button
              key={a.action}
              variant={a.action === 'schedule' ? 'filled' : a.danger ? 'light' : 'default'}
              color={a.danger ? 'red' : undefined}
              disabled={apply.isPending || !canApply(a.action, broadcast.state)}
              onClick={() => void run(a.action)}
            >
              {a.label}
            </Button>
          ))}
          {canApply('edit', broadcast.state) && (
            <Button component={Link} to={`/broadcasts/${id}/edit`} variant="default">
              Edit
            </Button>
          )}
          {broadcast.state === 'draft' && (
            <Button color="red" variant="light" onClick={() => void confirmDelete()}>
              Delete draft
            </Button>
          )}
        </Group>
      </Group>
      <ErrorWithDetails error={apply.error ? shownError(apply.error) : null} />
      <Card withBorder padding="md">
        <Stack gap="sm">
          <ProgressBar percent={broadcast.stats.percentDone} label="Progress" />
          <Text size="sm" c="dimmed" data-updates={updates ?? 'none'}>
            {broadcast.stats.estimatedFinishAt && <>Estimated finish {new Date(broadcast.stats.estimatedFinishAt).toLocaleString()} · </>}
            {updates}
          </Text>
          <NumberCards stats={broadcast.stats} />
          {engagement.data && <EngagementCards engagement={engagement.data.engagement} definitions={engagement.data.definitions} />}
          <CurrentStatus stats={broadcast.stats} />
          <SkippedCounts stats={broadcast.stats} />
        </Stack>
      </Card>
      <Stack component="section" aria-labelledby="chart-title" gap="xs">
        <Title order={2} size="h4" id="chart-title">
          Delivery and reads over time
        </Title>
        <Suspense fallback={<Loader size="sm" aria-label="Loading the chart" />}>
          <DeliveryChart timeline={timeline.data} />
        </Suspense>
      </Stack>
      <Stack component="section" aria-labelledby="summary-title" gap="xs">
        <Title order={2} size="h4" id="summary-title">
          Settings and times
        </Title>
        <BroadcastSummary broadcast={broadcast} />
      </Stack>
      {broadcast.schedule.kind === 'recurring' && broadcast.parentId === null ? (
        <OccurrencesList parentId={id} />
      ) : (
        <RecipientsTable broadcastId={id} version={`${broadcast.state}:${JSON.stringify(broadcast.stats.byStatus)}`} />
      )}
    </Stack>
  );
}
