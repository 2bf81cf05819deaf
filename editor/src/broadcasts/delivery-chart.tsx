import '@mantine/charts/styles.css';
import { LineChart } from '@mantine/charts';
import { Text } from '@mantine/core';
import type { BroadcastTimeline } from '../api/api-types.ts';
import { REACHED_SERIES } from './broadcast-numbers.ts';
import { timelineTotals } from './timeline-totals.ts';

const timeOf = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function durationOf(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

/** Sent, delivered, read (reached at least) and failed over time, as running totals that end on the broadcast's numbers. */
export function DeliveryChart({ timeline }: { timeline: BroadcastTimeline | undefined }) {
  const points = timeline ? timelineTotals(timeline, timeOf) : [];
  if (!timeline || points.length === 0) return <Text c="dimmed">Nothing sent yet: the chart starts with the first message.</Text>;
  const last = points.at(-1)!;
  return (
    <figure
      style={{ margin: 0 }}
      role="img"
      aria-label={`Delivery over time: ${REACHED_SERIES.map((s) => `${last[s.key]} ${s.label.toLowerCase()}`).join(', ')}`}
      data-chart-totals={REACHED_SERIES.map((s) => last[s.key]).join(',')}
    >
      <LineChart
        h={240}
        data={points}
        dataKey="time"
        series={REACHED_SERIES.map((s) => ({ name: s.key, label: `${s.label} ${last[s.key]}`, color: s.color }))}
        curveType="stepAfter"
        withLegend
        legendProps={{ verticalAlign: 'bottom' }}
        withDots={false}
        yAxisProps={{ allowDecimals: false }}
      />
      <Text component="figcaption" size="xs" c="dimmed" mt={4}>
        Running totals in steps of {durationOf(timeline.bucketSeconds)}; each line counts the recipients who reached at least that step.
      </Text>
    </figure>
  );
}
