import { Button, Card, Code, Group, Modal, PasswordInput, Table, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { Secret } from '../api/api-types.ts';
import { secretKeys, useSecrets } from '../api/queries/members.queries.ts';
import { useCan } from '../api/queries/use-can.ts';
import { QueryState } from '../api/query-state.tsx';
import { useApiMutation } from '../api/use-api-mutation.ts';
import { confirmAction } from '../shell/confirm.tsx';
import { EmptyState, PageHeader } from '../shell/page-header.tsx';

/**
 * The workspace's secrets: values that HTTP request nodes send as `{{secrets.NAME}}`. A value is
 * typed once (create or replace) and never shown again, only its last 4 characters.
 */
export function SecretsPage() {
  // The caller's role decides what the page offers: agents see no secrets, marketers see names only.
  const reads = useCan('secrets.read');
  const manages = useCan('secrets.manage') === true;
  const secrets = useSecrets(reads === true);
  const [replacing, setReplacing] = useState<Secret | null>(null);

  return (
    <>
      <PageHeader
        title="Secrets"
        description={
          <>
            API keys and tokens for HTTP request nodes. Write <Code>{'{{secrets.NAME}}'}</Code> in a node's URL, headers or body; the value
            is never shown again, not even here.
          </>
        }
      />
      {reads === false && <Text>Secrets are kept by the workspace's owners and admins. Ask one of them if a flow needs a new key.</Text>}
      {reads === true && !manages && (
        <Text c="dimmed" mb="md">
          Only owners and admins add, replace or delete secrets.
        </Text>
      )}
      {manages && <AddSecretForm />}
      {reads === true && (
        <QueryState query={secrets} label="secrets">
          {(items) =>
            items.length === 0 ? (
              <EmptyState title="No secrets yet.">Add the API key a flow's HTTP request needs, then use it by name.</EmptyState>
            ) : (
              <SecretsTable secrets={items} manages={manages} onReplace={setReplacing} />
            )
          }
        </QueryState>
      )}
      <ReplaceModal secret={replacing} onClose={() => setReplacing(null)} />
    </>
  );
}

function AddSecretForm() {
  const add = useApiMutation((api, body: { name: string; value: string }) => api.post('/secrets', body), {
    invalidates: [secretKeys.all],
    success: (_r, b) => `Secret ${b.name} saved.`,
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const element = event.currentTarget;
    const data = new FormData(element);
    add.mutate(
      { name: String(data.get('name') ?? '').trim(), value: String(data.get('value') ?? '') },
      { onSuccess: () => element.reset() },
    );
  }
  return (
    <Card withBorder mb="lg" component="form" onSubmit={submit} autoComplete="off" aria-label="Add a secret">
      <Group align="flex-end" gap="sm" wrap="wrap">
        <TextInput
          name="name"
          label="Name"
          required
          maxLength={64}
          pattern="[A-Za-z_][A-Za-z0-9_]*"
          placeholder="STRIPE_KEY"
          description="Letters, digits and _"
          w={240}
        />
        <PasswordInput
          name="value"
          label="Value"
          required
          minLength={8}
          maxLength={4096}
          autoComplete="new-password"
          description="At least 8 characters"
          w={320}
        />
        <Button type="submit" loading={add.isPending}>
          Add secret
        </Button>
      </Group>
    </Card>
  );
}

function SecretsTable({ secrets, manages, onReplace }: { secrets: Secret[]; manages: boolean; onReplace: (secret: Secret) => void }) {
  const remove = useApiMutation((api, secret: Secret) => api.delete(`/secrets/${secret.id}`), {
    invalidates: [secretKeys.all],
    success: (_r, s) => `Secret ${s.name} deleted.`,
  });
  async function confirmDelete(secret: Secret) {
    if (
      await confirmAction({
        title: `Delete the secret ${secret.name}?`,
        message: 'HTTP request nodes that use it send an empty value from now on.',
        confirmLabel: 'Delete secret',
      })
    )
      remove.mutate(secret);
  }
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table verticalSpacing="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Value</Table.Th>
            <Table.Th>Created by</Table.Th>
            <Table.Th>Changed</Table.Th>
            {manages && <Table.Th>Actions</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {secrets.map((s) => (
            <Table.Tr key={s.id}>
              <Table.Td>
                <Code>{s.name}</Code>
              </Table.Td>
              <Table.Td c="dimmed">…{s.last4}</Table.Td>
              <Table.Td>{s.createdBy?.name ?? 'an API key'}</Table.Td>
              <Table.Td>{new Date(s.updatedAt).toLocaleString()}</Table.Td>
              {manages && (
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <Button size="xs" variant="default" onClick={() => onReplace(s)}>
                      Replace value
                    </Button>
                    <Button size="xs" variant="subtle" color="red" onClick={() => void confirmDelete(s)}>
                      Delete
                    </Button>
                  </Group>
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function ReplaceModal({ secret, onClose }: { secret: Secret | null; onClose: () => void }) {
  const replace = useApiMutation((api, { id, value }: { id: string; value: string }) => api.patch(`/secrets/${id}`, { value }), {
    invalidates: [secretKeys.all],
    success: 'New value saved.',
    onSuccess: onClose,
  });
  return (
    <Modal opened={secret !== null} onClose={onClose} title={secret ? `New value of ${secret.name}` : ''}>
      {secret && (
        <form
          autoComplete="off"
          onSubmit={(e) => {
            e.preventDefault();
            replace.mutate({ id: secret.id, value: String(new FormData(e.currentTarget).get('value') ?? '') });
          }}
        >
          <PasswordInput
            name="value"
            label="New value"
            required
            minLength={8}
            maxLength={4096}
            autoComplete="new-password"
            data-autofocus
          />
          <Group justify="flex-end" mt="md">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={replace.isPending}>
              Save
            </Button>
          </Group>
        </form>
      )}
    </Modal>
  );
}
