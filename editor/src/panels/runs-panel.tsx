import { Badge, Button, Checkbox, Code, Group, Stack, Text, Title, UnstyledButton } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { RunDetail } from '../api/api-types.ts';
import { QueryError, QueryState } from '../api/query-state.tsx';
import { runQuery, useFlowRuns, useRun } from '../api/queries/flows.queries.ts';
import { useApiMutation } from '../api/use-api-mutation.ts';
import { runPathOf, type RunPath } from './run-path.ts';
import { runHeadline, runStatusText, runStory } from './run-story.ts';

const WHO = { contact: 'Contact', bot: 'Bot', flow: 'Flow', error: 'Problem' } as const;

/** The flow's recent runs, live; opening one draws its path and tells it as a conversation, with the raw data behind a toggle. */
export function RunsPanel({
  flowId,
  nodeLabel,
  onPath,
  onCounts,
}: {
  flowId: string;
  nodeLabel: (id: string) => string;
  onPath: (path: RunPath | null) => void;
  onCounts: (counts: ReadonlyMap<string, number>) => void;
}) {
  const runs = useFlowRuns(flowId);
  const [openId, setOpenId] = useState<string | null>(null);
  const open = useRun(openId);
  const [showData, setShowData] = useState(false);
  const queryClient = useQueryClient();

  useEffect(() => {
    if (open.data) onPath(runPathOf(open.data));
  }, [open.data, onPath]);

  const count = useApiMutation(async (api) => {
    const details = await Promise.all((runs.data ?? []).map((r) => queryClient.fetchQuery(runQuery(api, r.id))));
    const counts = new Map<string, number>();
    for (const detail of details)
      for (const nodeId of new Set(detail.steps.map((s) => s.nodeId))) counts.set(nodeId, (counts.get(nodeId) ?? 0) + 1);
    onCounts(counts);
  });

  return (
    <Stack component="section" aria-label="Run history" gap="sm">
      <Group justify="space-between">
        <Title order={2} size="h4">
          Runs
        </Title>
        <Button size="xs" variant="default" onClick={() => count.mutate()} loading={count.isPending} disabled={!runs.data?.length}>
          Count per node
        </Button>
      </Group>
      <QueryState query={runs} label="runs">
        {(items) =>
          items.length === 0 ? (
            <Text c="dimmed" size="sm">
              No runs yet. Send this flow a message from the test chat.
            </Text>
          ) : (
            <Stack component="ul" aria-label="Recent runs" gap={6} m={0} p={0} style={{ listStyle: 'none' }}>
              {items.map((run) => (
                <li key={run.id}>
                  <UnstyledButton
                    w="100%"
                    p="xs"
                    aria-current={openId === run.id ? 'true' : undefined}
                    onClick={() => setOpenId(run.id)}
                    style={{
                      border: `1px solid var(--mantine-color-${openId === run.id ? 'blue-6' : 'gray-3'})`,
                      borderRadius: 'var(--mantine-radius-sm)',
                      background: 'var(--mantine-color-body)',
                    }}
                  >
                    <Text size="sm" fw={openId === run.id ? 700 : 500}>
                      {runHeadline(run)}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {new Date(run.startedAt).toLocaleTimeString()} · {runStatusText(run)}
                    </Text>
                  </UnstyledButton>
                </li>
              ))}
            </Stack>
          )
        }
      </QueryState>
      {open.isError && <QueryError error={open.error} onRetry={() => void open.refetch()} />}
      {open.data && <RunDetailView run={open.data} nodeLabel={nodeLabel} showData={showData} onShowData={setShowData} />}
    </Stack>
  );
}

function RunDetailView({
  run,
  nodeLabel,
  showData,
  onShowData,
}: {
  run: RunDetail;
  nodeLabel: (id: string) => string;
  showData: boolean;
  onShowData: (show: boolean) => void;
}) {
  return (
    <Stack aria-label="Run details" gap="xs">
      <Title order={3} size="h5">
        {runHeadline(run)} · {runStatusText(run)}
      </Title>
      <Stack component="ol" gap={4} m={0} pl="md">
        {runStory(run, nodeLabel).map((line, i) => (
          <Text component="li" size="sm" key={i} c={line.who === 'error' ? 'red' : undefined}>
            <Badge size="xs" variant="light" color={{ contact: 'teal', bot: 'blue', flow: 'gray', error: 'red' }[line.who]} mr={6}>
              {WHO[line.who]}
            </Badge>
            {line.text}
          </Text>
        ))}
      </Stack>
      <Checkbox label="Show data" checked={showData} onChange={(e) => onShowData(e.currentTarget.checked)} />
      {showData && (
        <Stack component="ol" gap="xs" m={0} pl="md">
          {run.steps.map((step) => (
            <li key={step.seq}>
              <Text size="sm" fw={700}>
                {nodeLabel(step.nodeId)}
              </Text>
              <Code block style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', maxHeight: '14rem', overflowY: 'auto' }}>
                {JSON.stringify(
                  {
                    input: step.input,
                    output: step.output,
                    ...(step.error ? { error: step.error } : {}),
                    ...(step.port ? { port: step.port } : {}),
                  },
                  null,
                  2,
                )}
              </Code>
            </li>
          ))}
        </Stack>
      )}
    </Stack>
  );
}
