import { Badge, Button, FileButton, Group, Modal, Switch, Table, Text, TextInput, VisuallyHidden } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import type { FlowDetail, FlowExport, FlowListItem } from '../api/api-types.ts';
import { flowKeys, useFlows } from '../api/queries/flows.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { useApiMutation } from '../api/use-api-mutation.ts';
import { downloadJson } from '../download-json.ts';
import { confirmAction } from '../shell/confirm.tsx';
import { EmptyState, PageHeader } from '../shell/page-header.tsx';

const invalidatesFlows = { invalidates: [flowKeys.all] };

/** The workspace's flows: create, rename, duplicate, delete, import/export, switch on and off. */
export function FlowsPage() {
  const flows = useFlows();
  const navigate = useNavigate();
  const [renaming, setRenaming] = useState<FlowListItem | null>(null);

  const create = useApiMutation((api, name: string) => api.post<FlowDetail>('/flows', { name }), {
    ...invalidatesFlows,
    onSuccess: (flow) => void navigate(`/flows/${flow.id}`),
  });
  const importFile = useApiMutation(
    async (api, file: File) => {
      let parsed: Partial<FlowExport>;
      try {
        parsed = JSON.parse(await file.text()) as Partial<FlowExport>;
      } catch {
        throw new Error(`${file.name} is not JSON: export a flow from OneMessage and import that file`);
      }
      return api.post<FlowDetail>('/flows/import', {
        name: parsed.name,
        description: parsed.description ?? null,
        document: parsed.document,
      });
    },
    { ...invalidatesFlows, success: (flow) => `Imported “${flow.name}”.` },
  );

  function submitCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get('name') ?? '').trim();
    if (name) create.mutate(name);
  }

  return (
    <>
      <PageHeader
        title="Flows"
        description="Automations that answer your contacts: a trigger, then messages, questions and conditions."
        actions={
          <>
            <form onSubmit={submitCreate}>
              <Group gap="xs" align="flex-end" wrap="nowrap">
                <TextInput name="name" label="New flow name" required maxLength={200} placeholder="Welcome" />
                <Button type="submit" loading={create.isPending}>
                  Create flow
                </Button>
              </Group>
            </form>
            <FileButton onChange={(file) => file && importFile.mutate(file)} accept="application/json,.json">
              {(props) => (
                <Button variant="default" {...props} aria-label="Import JSON" mt={24}>
                  Import JSON
                </Button>
              )}
            </FileButton>
          </>
        }
      />
      <QueryState query={flows} label="flows">
        {(items) =>
          items.length === 0 ? (
            <EmptyState title="No flows yet">
              Give your first flow a name above and press Create flow: it starts with a trigger, and you add the steps on the canvas.
            </EmptyState>
          ) : (
            <FlowsTable flows={items} onRename={setRenaming} />
          )
        }
      </QueryState>
      <RenameModal flow={renaming} onClose={() => setRenaming(null)} />
    </>
  );
}

function FlowsTable({ flows, onRename }: { flows: FlowListItem[]; onRename: (flow: FlowListItem) => void }) {
  const queryClient = useQueryClient();
  // The switch moves at once; the refetch after the request puts back the server's answer if it refused.
  const switchTo = (id: string, active: boolean) => {
    queryClient.setQueryData<FlowListItem[]>(flowKeys.list(), (list) => list?.map((f) => (f.id === id ? { ...f, active } : f)));
    setActive.mutate({ id, active }, { onError: () => void queryClient.invalidateQueries({ queryKey: flowKeys.all }) });
  };
  const setActive = useApiMutation((api, { id, active }: { id: string; active: boolean }) => api.patch(`/flows/${id}`, { active }), {
    ...invalidatesFlows,
    success: (_r, { active }) => (active ? 'The flow is on: it answers new messages.' : 'The flow is off: it no longer starts runs.'),
  });
  const duplicate = useApiMutation(
    async (api, flow: FlowListItem) => {
      const exported = await api.get<FlowExport>(`/flows/${flow.id}/export`);
      return api.post('/flows/import', { ...exported, name: `Copy of ${exported.name}`.slice(0, 200) });
    },
    { ...invalidatesFlows, success: (_r, flow) => `Duplicated “${flow.name}”.` },
  );
  const exportFlow = useApiMutation(async (api, flow: FlowListItem) =>
    downloadJson(`${flow.name}.flow.json`, await api.get<FlowExport>(`/flows/${flow.id}/export`)),
  );
  const remove = useApiMutation((api, flow: FlowListItem) => api.delete(`/flows/${flow.id}`), {
    ...invalidatesFlows,
    success: (_r, flow) => `Deleted “${flow.name}”.`,
  });

  async function confirmDelete(flow: FlowListItem) {
    if (
      await confirmAction({
        title: `Delete “${flow.name}”?`,
        message: 'It stops answering messages at once. Its past runs stay in the history.',
        confirmLabel: 'Delete flow',
      })
    )
      remove.mutate(flow);
  }

  return (
    <Table.ScrollContainer minWidth={720}>
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Published</Table.Th>
            <Table.Th>On</Table.Th>
            <Table.Th>Runs (24 h)</Table.Th>
            <Table.Th>
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {flows.map((flow) => (
            <Table.Tr key={flow.id}>
              <Table.Td>
                <Text component={Link} to={`/flows/${flow.id}`} fw={600} c="blue.8" td="underline">
                  {flow.name}
                </Text>
              </Table.Td>
              <Table.Td>
                {flow.publishedVersion === null ? (
                  <Badge color="gray" variant="light" miw="max-content">
                    draft only
                  </Badge>
                ) : (
                  // As wide as its words: a narrow window's table clipped it to "VERSIO…".
                  <Badge variant="light" miw="max-content">
                    version {flow.publishedVersion}
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>
                <Switch
                  checked={flow.active}
                  disabled={flow.publishedVersion === null}
                  aria-label={`Active: ${flow.name}`}
                  label={flow.active ? 'On' : 'Off'}
                  title={flow.publishedVersion === null ? 'Publish the flow first' : undefined}
                  onChange={(e) => switchTo(flow.id, e.currentTarget.checked)}
                />
              </Table.Td>
              <Table.Td>
                <Text size="sm">{formatRuns(flow.runsLast24h)}</Text>
              </Table.Td>
              <Table.Td>
                <Group gap={4} justify="flex-end" wrap="nowrap">
                  <Button size="xs" variant="subtle" aria-label={`Rename ${flow.name}`} onClick={() => onRename(flow)}>
                    Rename
                  </Button>
                  <Button size="xs" variant="subtle" aria-label={`Duplicate ${flow.name}`} onClick={() => duplicate.mutate(flow)}>
                    Duplicate
                  </Button>
                  <Button size="xs" variant="subtle" aria-label={`Export ${flow.name}`} onClick={() => exportFlow.mutate(flow)}>
                    Export
                  </Button>
                  <Button
                    size="xs"
                    variant="subtle"
                    color="red"
                    aria-label={`Delete ${flow.name}`}
                    onClick={() => void confirmDelete(flow)}
                  >
                    Delete
                  </Button>
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function RenameModal({ flow, onClose }: { flow: FlowListItem | null; onClose: () => void }) {
  const rename = useApiMutation(
    (api, { id, name, baseRevision }: { id: string; name: string; baseRevision: number }) =>
      api.patch(`/flows/${id}`, { name, baseRevision }),
    { ...invalidatesFlows, onSuccess: onClose },
  );
  return (
    <Modal opened={flow !== null} onClose={onClose} title={flow ? `Rename “${flow.name}”` : ''}>
      {flow && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const name = String(new FormData(e.currentTarget).get('name') ?? '').trim();
            if (name) rename.mutate({ id: flow.id, name, baseRevision: flow.draftRevision });
          }}
        >
          <TextInput name="name" label="New name" defaultValue={flow.name} required maxLength={200} data-autofocus />
          <Group justify="flex-end" mt="md">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={rename.isPending}>
              Save
            </Button>
          </Group>
        </form>
      )}
    </Modal>
  );
}

function formatRuns(counts: Record<string, number>): string {
  const parts = Object.entries(counts).filter(([, n]) => n > 0);
  if (parts.length === 0) return 'none';
  const total = parts.reduce((sum, [, n]) => sum + n, 0);
  return `${total} (${parts.map(([status, n]) => `${n} ${status}`).join(', ')})`;
}
