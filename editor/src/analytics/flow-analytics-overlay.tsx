import { Badge, Group, Paper, SegmentedControl, Stack, Switch, Text, Tooltip } from '@mantine/core';
import { Panel, useNodes, ViewportPortal } from '@xyflow/react';
import { memo, useState } from 'react';
import { useFlowAnalytics, type FlowAnalytics } from '../api/queries/analytics.queries.ts';

const WINDOWS = [
  { value: '100', label: 'Last 100 runs' },
  { value: '1000', label: 'Last 1,000' },
  { value: '10000', label: 'Last 10,000' },
];

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
  const [lastRuns, setLastRuns] = useState('1000');
  const analytics = useFlowAnalytics(flowId, Number(lastRuns), on);
  return (
    <>
      <Panel position="bottom-right">
        <Paper withBorder shadow="xs" p="xs" component="section" aria-label="Flow analytics">
          <Stack gap={6}>
            <Switch label="Show analytics" checked={on} onChange={(e) => setOn(e.currentTarget.checked)} size="sm" />
            {on && (
              <>
                <SegmentedControl size="xs" data={WINDOWS} value={lastRuns} onChange={setLastRuns} aria-label="Runs counted" />
                {analytics.data ? <Totals data={analytics.data} /> : <Text size="xs">{analytics.isError ? 'Analytics could not be loaded.' : 'Counting runs…'}</Text>}
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
  if (t.runs === 0) return <Text size="xs">No runs yet (test chat runs are not counted).</Text>;
  return (
    <Group gap="md" wrap="nowrap" aria-label="Flow totals">
      <Figure label="Runs" value={t.runs.toLocaleString()} />
      <Figure label="Completed" value={percent(t.completionRate)} />
      <Figure label="Handed off" value={percent(t.handOffRate)} />
      <Figure label="Opt-outs" value={t.optOuts.toLocaleString()} />
    </Group>
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
        const ports = c ? Object.entries(c.ports).map(([port, n]) => `${port}: ${n}`).join(', ') : '';
        return (
          <div key={node.id} style={{ position: 'absolute', transform: `translate(${node.position.x}px, ${node.position.y + (node.measured?.height ?? 60) + 6}px)`, pointerEvents: 'all' }}>
            <Tooltip label={ports ? `Left by ${ports}` : 'No run left this node'} withArrow>
              <Group gap={4} wrap="nowrap" data-analytics-node={node.id} aria-label={`${reached} runs reached this node`}>
                <Badge size="sm" variant="filled" color="blue">
                  {reached.toLocaleString()} runs · {share}%
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
