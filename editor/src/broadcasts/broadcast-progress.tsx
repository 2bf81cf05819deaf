import { Badge, Card, Group, Progress, SimpleGrid, Stack, Text } from '@mantine/core';
import type { Broadcast, BroadcastStats } from '../api/api-types.ts';
import { SKIP_REASONS, type SkipReason } from '../../../engine/broadcasts/broadcast-state.ts';
import { broadcastNumbers, percentOf, REACHED_EXPLANATION, REACHED_SERIES, shortNumbers } from './broadcast-numbers.ts';

/** The reasons a recipient is skipped, in words. */
export const SKIP_REASON_LABELS: Record<SkipReason, string> = {
  opted_out: 'opted out',
  restricted: 'restricted',
  erased: 'erased',
  cancelled: 'cancelled before sending',
  flow_inactive: 'flow inactive',
};

const STATE_COLORS: Record<Broadcast['state'], string> = {
  draft: 'gray',
  scheduled: 'blue',
  running: 'teal',
  paused: 'yellow',
  completed: 'green',
  cancelled: 'gray',
  failed: 'red',
};

/** The state, with its reason when it has one ("scheduled: channel not connected"). */
export function StateBadge({ state, reason }: { state: Broadcast['state']; reason: string | null }) {
  return (
    <Badge color={STATE_COLORS[state] ?? 'gray'} variant="light" tt="none" data-state={state}>
      {state}
      {reason && `: ${reason.replaceAll('_', ' ')}`}
    </Badge>
  );
}

/** Percent done as a bar with its number; a percentage is rounded down so 100% means all done. */
export function ProgressBar({ percent, label }: { percent: number; label: string }) {
  const shown = Math.floor(Math.min(100, Math.max(0, percent)));
  return (
    <Group gap="xs" wrap="nowrap" miw={120}>
      <Progress value={shown} aria-label={label} style={{ flex: 1 }} size="md" />
      <Text size="sm" w={40} ta="right">
        {shown}%
      </Text>
    </Group>
  );
}

/**
 * The broadcast's numbers as cards: recipients, then how many reached at least sent, delivered
 * and read, then failed and skipped (the model of broadcast-numbers.ts, labelled so).
 */
export function NumberCards({ stats }: { stats: BroadcastStats }) {
  const n = broadcastNumbers(stats);
  const cards = [
    { key: 'recipients', label: 'Recipients', value: n.recipients, share: null },
    ...REACHED_SERIES.map((s) => ({
      key: s.key,
      label: s.key === 'failed' ? 'Failed' : `${s.label}`,
      value: n[s.key],
      share: percentOf(n[s.key], n.recipients),
    })),
    { key: 'skipped', label: 'Skipped', value: n.skipped, share: percentOf(n.skipped, n.recipients) },
  ];
  return (
    <Stack gap={6}>
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} spacing="sm" aria-label="Reached at least">
        {cards.map((c) => (
          <Card key={c.key} withBorder padding="sm" radius="md">
            <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
              {c.label}
            </Text>
            <Text fz={28} fw={700} lh={1.2} data-number={c.key}>
              {c.value}
            </Text>
            {c.share && (
              <Text size="xs" c="dimmed">
                {c.share} of recipients
              </Text>
            )}
          </Card>
        ))}
      </SimpleGrid>
      <Text size="xs" c="dimmed">
        {REACHED_EXPLANATION}
      </Text>
    </Stack>
  );
}

/** Where each recipient is right now (exactly one status each), beside the reached-at-least numbers. */
export function CurrentStatus({ stats }: { stats: BroadcastStats }) {
  const s = (status: keyof BroadcastStats['byStatus']) => stats.byStatus[status] ?? 0;
  const parts: { status: string; count: number; words: string }[] = [
    { status: 'pending', count: s('pending'), words: 'waiting to be sent' },
    { status: 'sent', count: s('sent'), words: 'sent, no delivery report yet' },
    { status: 'delivered', count: s('delivered'), words: 'delivered, not read yet' },
    { status: 'read', count: s('read'), words: 'read' },
    { status: 'failed', count: s('failed'), words: 'failed' },
    { status: 'skipped', count: s('skipped'), words: 'skipped' },
  ];
  return (
    <Text size="sm" aria-label="Recipients by current status">
      <Text span fw={600}>
        Right now:{' '}
      </Text>
      {parts.map((p, i) => (
        <span key={p.status}>
          {i > 0 && ' · '}
          <span data-status={p.status}>{p.count}</span> {p.words}
        </span>
      ))}
    </Text>
  );
}

/** Why recipients were skipped, and who opted out after receiving it; nothing when there is neither. */
export function SkippedCounts({ stats }: { stats: BroadcastStats }) {
  const reasons = SKIP_REASONS.filter((r) => (stats.skippedByReason[r] ?? 0) > 0);
  return (
    <Text size="sm" c="dimmed" data-testid="skipped-counts">
      {reasons.length === 0
        ? 'None skipped'
        : `Skipped: ${reasons.map((r) => `${stats.skippedByReason[r]} ${SKIP_REASON_LABELS[r]}`).join(', ')}`}
      {' · '}
      {stats.optedOutAfter} opted out after receiving it
    </Text>
  );
}

/** A short "6 sent · 5 delivered · 2 read · 1 failed · 1 skipped" summary (reached at least) for the list. */
export function shortCounts(stats: BroadcastStats): string {
  return shortNumbers(broadcastNumbers(stats));
}
