import { Badge, Group, Paper, SegmentedControl, Stack, Switch, Text, Tooltip } from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import { Panel, useNodes, ViewportPortal } from '@xyflow/react';
import { memo, useMemo, useState } from 'react';
import { MAX_WINDOW_RUNS } from '../../../engine/analytics/run-window.ts';
import { useFlowAnalytics, type FlowAnalytics, type RunWindowQuery } from '../api/queries/analytics.queries.ts';
import { dayStart, pickedRange, type PickedDay } from '../shell/picked-days.ts';

const WINDOWS = [
  { value: '100', label: 'Last 100 runs' },
  { value: '1000', label: 'Last 1,000' },
  { value: '10000', label: 'Last 10,000' },
];

const MODES = [
  { value: 'runs', label: 'Last runs' },
  { value: 'dates', label: 'Date range' },
];
/** The range a first switch to dates shows: the last seven days, today included. */
const DEFAULT_RANGE_DAYS = 7;

function lastDays(days: number): [PickedDay, PickedDay] {
  return [dayStart(new Date(), -(days - 1)), dayStart(new Date())];
}

const percent = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 100)}%`);

/**
 * Flow analytics drawn over the canvas, self-contained: a switch and the flow's figures in a
 * corner, and when on, under each node how many runs reached it and how many went no further.
 * Rendered as a child of <ReactFlow>; reads node positions from React Flow, nothing from the page.
 * Memoised: the editor re-renders on every change of the canvas (a node measured, dragged), and
 * the overlay, off or on, depends only on its flow.
 */
export const FlowAnalyticsOverlay = memo(function FlowAnalyticsOverlay({ flowId }: { flowId: string }) {
  const [on, setOn] = useState(false);
  const [mode, setMode] = useState<'runs' | 'dates'>('runs');
  const [lastRuns, setLastRuns] = useState('1000');
  const [range, setRange] = useState<[PickedDay, PickedDay]>(() => lastDays(DEFAULT_RANGE_DAYS));
  const runWindow = useMemo<RunWindowQuery | null>(() => {
    if (mode === 'runs') return { lastRuns: Number(lastRuns) };
    // Every run of the days picked (the last day included), up to the most one window reads.
    const days = pickedRange(range);
    return days ? { lastRuns: MAX_WINDOW_RUNS, from: days.from.toISOString(), to: days.to.toISOString() } : null;
  }, [mode, lastRuns, range]);
  const analytics = useFlowAnalytics(flowId, runWindow ?? { lastRuns: 1 }, on && runWindow !== null);
  return (
    <>
      <Panel position="bottom-right">
        <Paper withBorder shadow="xs" p="xs" component="section" aria-label="Flow analytics">
          <Stack gap={6}>
            <Switch label="Show analytics" checked={on} onChange={(e) => setOn(e.currentTarget.checked)} size="sm" />
            {on && (
              <>
                <SegmentedControl
                  size="xs"
                  data={MODES}
                  value={mode}
                  onChange={(v) => setMode(v as 'runs' | 'dates')}
                  aria-label="Count runs by"
                />
                {mode === 'runs' ? (
                  <SegmentedControl size="xs" data={WINDOWS} value={lastRuns} onChange={setLastRuns} aria-label="Runs counted" />
                ) : (
                  <DatePickerInput
                    type="range"
                    size="xs"
                    label="Runs started on"
                    placeholder="Pick the first and last day"
                    value={range}
                    onChange={(v) => setRange(v as [PickedDay, PickedDay])}
                    allowSingleDateInRange
                    maxDate={new Date()}
                    valueFormat="D MMM YYYY"
                    popoverProps={{ withinPortal: true, zIndex: 400 }}
                  />
                )}
                {runWindow === null ? (
                  <Text size="xs">Pick the days whose runs to count.</Text>
                ) : analytics.data ? (
                  <Totals data={analytics.data} />
                ) : (
                  <Text size="xs">{analytics.isError ? 'Analytics could not be loaded.' : 'Counting runs…'}</Text>
                )}
              </>
            )}
          </Stack>
        </Paper>
      </Panel>
      {on && analytics.data && <NodeBadges data={analytics.data} />}
    </>
  );
});

function Totals({ data }: { data: FlowAnalytics }) {
  const t = data.totals;
  const ranged = data.window.from !== null;
  if (t.runs === 0)
    return <Text size="xs">{ranged ? 'No runs started on these days' : 'No runs yet'} (test chat runs are not counted).</Text>;
  return (
    <Stack gap={4}>
      <Group gap="md" wrap="nowrap" aria-label="Flow totals">
        <Figure label="Runs" value={t.runs.toLocaleString()} />
        <Figure label="Completed" value={percent(t.completionRate)} />
        <Figure label="Handed off" value={percent(t.handOffRate)} />
        <Figure label="Opt-outs" value={t.optOuts.toLocaleString()} />
      </Group>
      {ranged && t.runs >= data.window.lastRuns && (
        <Text size="xs" c="dimmed">
          The most recent {data.window.lastRuns.toLocaleString()} runs of these days.
        </Text>
      )}
    </Stack>
  );
}

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" fw={600}>
        {value}
      </Text>
    </Stack>
  );
}

/** Under each node: runs that reached it, and the drop-off (runs that went no further from it). */
function NodeBadges({ data }: { data: FlowAnalytics }) {
  const nodes = useNodes();
  const counts = new Map(data.nodes.map((n) => [n.nodeId, n]));
  return (
    <ViewportPortal>
      {nodes.map((node) => {
        const c = counts.get(node.id);
        const reached = c?.reached ?? 0;
        const dropped = c ? c.stoppedHere - c.waiting : 0;
        const share = data.totals.runs > 0 ? Math.round((reached / data.totals.runs) * 100) : 0;
        const ports = c
          ? Object.entries(c.ports)
              .map(([port, n]) => `${port}: ${n}`)
              .join(', ')
          : '';
        return (
          <div
            key={node.id}
            style={{
              position: 'absolute',
              transform: `translate(${node.position.x}px, ${node.position.y + (node.measured?.height ?? 60) + 6}px)`,
              pointerEvents: 'all',
            }}
          >
            <Tooltip label={ports ? `Left by ${ports}` : 'No run left this node'} withArrow>
              <Group gap={4} wrap="nowrap" data-analytics-node={node.id} aria-label={`${reached} runs reached this node`}>
                <Badge size="sm" variant="filled" color="blue">
                  {reached.toLocaleString()} {reached === 1 ? 'run' : 'runs'} · {share}%
                </Badge>
                {dropped > 0 && (
                  <Badge size="sm" variant="light" color="orange">
                    {dropped.toLocaleString()} stopped here
                  </Badge>
                )}
                {(c?.waiting ?? 0) > 0 && (
                  <Badge size="sm" variant="light" color="gray">
                    {c!.waiting.toLocaleString()} waiting
                  </Badge>
                )}
              </Group>
            </Tooltip>
          </div>
        );
      })}
    </ViewportPortal>
  );
}
