import { Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { FlowDocumentJson } from '../api/api-types.ts';
import { QueryState } from '../api/query-state.tsx';
import { flowVersionQuery, useFlowVersions } from '../api/queries/flows.queries.ts';
import { useApiMutation } from '../api/use-api-mutation.ts';
import { confirmAction } from '../shell/confirm.tsx';
import { diffSummary } from './version-diff.ts';

/** Published versions, what each changes against the current draft, and restoring one as the draft. */
export function VersionsPanel({
  flowId,
  current,
  onRestore,
}: {
  flowId: string;
  current: () => FlowDocumentJson;
  onRestore: (doc: FlowDocumentJson) => void;
}) {
  const versions = useFlowVersions(flowId);
  const queryClient = useQueryClient();
  const [diffs, setDiffs] = useState<Record<number, string>>({});

  const compare = useApiMutation(async (api, version: number) => {
    const detail = await queryClient.fetchQuery(flowVersionQuery(api, flowId, version));
    const d = diffSummary(detail.document, current());
    const parts = [
      d.added && `${d.added} added`,
      d.removed && `${d.removed} removed`,
      d.changed && `${d.changed} changed`,
      d.edgesChanged && 'connections changed',
    ].filter(Boolean);
    setDiffs((old) => ({
      ...old,
      [version]: parts.length === 0 ? 'The draft is the same as this version.' : `Draft vs v${version}: ${parts.join(', ')}.`,
    }));
  });
  // The restored document becomes the draft through the editor (saved by the draft saver, undoable).
  const restore = useApiMutation(
    async (api, version: number) => onRestore((await queryClient.fetchQuery(flowVersionQuery(api, flowId, version))).document),
    {
      success: (_, version) => `Version ${version} is the draft now. Publish it to make it live.`,
    },
  );

  async function askRestore(version: number) {
    const confirmed = await confirmAction({
      title: `Restore version ${version}?`,
      message: 'The draft is replaced by this version. The published version does not change until you publish.',
      confirmLabel: 'Restore as draft',
      danger: false,
    });
    if (confirmed) restore.mutate(version);
  }

  return (
    <Stack component="section" aria-label="Version history" gap="sm">
      <Title order={2} size="h4">
        Versions
      </Title>
      <QueryState query={versions} label="versions">
        {(items) =>
          items.length === 0 ? (
            <Text c="dimmed" size="sm">
              Nothing published yet.
            </Text>
          ) : (
            <Stack component="ul" gap="xs" m={0} p={0} style={{ listStyle: 'none' }}>
              {items.map((v) => (
                <Card component="li" key={v.id} withBorder padding="xs">
                  <Text size="sm">
                    <strong>v{v.version}</strong> · {new Date(v.createdAt).toLocaleString()}
                  </Text>
                  {v.note && <Text size="sm">{v.note}</Text>}
                  <Group gap="xs" mt={6}>
                    <Button
                      size="xs"
                      variant="default"
                      onClick={() => compare.mutate(v.version)}
                      loading={compare.isPending && compare.variables === v.version}
                    >
                      Compare with draft
                    </Button>
                    <Button size="xs" variant="default" onClick={() => void askRestore(v.version)}>
                      Restore as draft
                    </Button>
                  </Group>
                  {diffs[v.version] && (
                    <Text size="sm" c="dimmed" mt={6}>
                      {diffs[v.version]}
                    </Text>
                  )}
                </Card>
              ))}
            </Stack>
          )
        }
      </QueryState>
    </Stack>
  );
}
