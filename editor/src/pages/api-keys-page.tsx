import { Alert, Badge, Button, Card, Group, NativeSelect, Stack, Table, Text, TextInput } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import { teamKeys, useApiKeys, type ApiKey, type CreatedApiKey } from '../api/queries/team.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { useApiMutation } from '../api/use-api-mutation.ts';
import { confirmAction } from '../shell/confirm.tsx';
import { EmptyState, PageHeader } from '../shell/page-header.tsx';

const ROLES = [
  { value: 'admin', label: 'Admin (everything but billing)' },
  { value: 'marketer', label: 'Marketer (flows, broadcasts, contacts)' },
  { value: 'agent', label: 'Agent (conversations and replies)' },
];

function roleName(role: string): string {
  return role.charAt(0).toUpperCase() + role.slice(1);
}

function when(iso: string | null, never: string): string {
  return iso ? new Date(iso).toLocaleString() : never;
}

/** API keys for scripts and other systems: created with a role, shown once, revoked here. */
export function ApiKeysPage() {
  const keys = useApiKeys();
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys that let another system use this workspace through the API, each with the rights of a role. Send one as Authorization: Bearer <key>."
      />
      <CreateKeyForm onCreated={setCreated} />
      {created && <NewKey apiKey={created} onDone={() => setCreated(null)} />}
      <QueryState query={keys} label="API keys">
        {(items) =>
          items.length === 0 ? (
            <EmptyState title="No API keys yet.">
              Create one for each system that calls the API, so that you can revoke it alone.
            </EmptyState>
          ) : (
            <KeysTable keys={items} onRevoked={(id) => created?.id === id && setCreated(null)} />
          )
        }
      </QueryState>
    </>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (key: CreatedApiKey) => void }) {
  const create = useApiMutation((api, body: { name: string; role: string }) => api.post<CreatedApiKey>('/api-keys', body), {
    invalidates: [teamKeys.apiKeys],
    onSuccess: onCreated,
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    create.mutate(
      { name: String(form.get('name') ?? '').trim(), role: String(form.get('role') ?? 'marketer') },
      { onSuccess: () => element.reset() },
    );
  }
  return (
    <Card withBorder mb="lg" component="form" onSubmit={submit} aria-label="Create an API key" autoComplete="off">
      <Group align="flex-end" gap="sm" wrap="wrap">
        <TextInput name="name" label="Name" required maxLength={100} placeholder="CRM sync" description="What uses it" w={260} />
        <NativeSelect
          name="role"
          label="Rights"
          data={ROLES}
          defaultValue="marketer"
          w={300}
          description="A key never has more rights than you"
        />
        <Button type="submit" loading={create.isPending}>
          Create key
        </Button>
      </Group>
    </Card>
  );
}

/** The new key's secret, shown once with a Copy button. */
function NewKey({ apiKey, onDone }: { apiKey: CreatedApiKey; onDone: () => void }) {
  const [copied, setCopied] = useState<'copied' | 'select' | null>(null);
  const input = useRef<HTMLInputElement>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(apiKey.secret);
      setCopied('copied');
    } catch {
      input.current?.select();
      setCopied('select');
    }
  }
  return (
    <Alert color="blue" variant="light" mb="lg" role="status" aria-label={`New API key ${apiKey.name}`}>
      <Stack gap="sm">
        <Text size="sm">Copy this key now and keep it somewhere safe: it is shown only once. Lost it? Revoke it and create another.</Text>
        <Group gap="sm" wrap="nowrap">
          <TextInput
            ref={input}
            readOnly
            aria-label="API key"
            value={apiKey.secret}
            onFocus={(e) => e.currentTarget.select()}
            ff="monospace"
            style={{ flex: 1 }}
          />
          <Button variant="default" onClick={() => void copy()}>
            {copied === 'copied' ? 'Copied' : 'Copy key'}
          </Button>
          <Button variant="subtle" onClick={onDone}>
            Done
          </Button>
        </Group>
        {copied === 'select' && <Text size="sm">Your browser did not allow copying: the key is selected, press Ctrl+C (⌘C on a Mac).</Text>}
      </Stack>
    </Alert>
  );
}

function KeysTable({ keys, onRevoked }: { keys: ApiKey[]; onRevoked: (id: string) => void }) {
  const revoke = useApiMutation((api, key: ApiKey) => api.delete(`/api-keys/${key.id}`), {
    invalidates: [teamKeys.apiKeys],
    success: (_r, k) => `${k.name} no longer works.`,
    onSuccess: (_r, k) => onRevoked(k.id),
  });
  async function ask(key: ApiKey) {
    const ok = await confirmAction({
      title: `Revoke ${key.name}?`,
      message: 'Every system using this key is refused from now on. This cannot be undone: a new key would have to be given to them.',
      confirmLabel: 'Revoke key',
    });
    if (ok) revoke.mutate(key);
  }
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table verticalSpacing="sm" aria-label="API keys">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Key</Table.Th>
            <Table.Th>Rights</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>Last used</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {keys.map((k) => (
            <Table.Tr key={k.id}>
              <Table.Td>{k.name}</Table.Td>
              <Table.Td>
                <Text ff="monospace" size="sm">
                  {k.prefix}…
                </Text>
              </Table.Td>
              <Table.Td>
                <Badge variant="light">{roleName(k.role)}</Badge>
              </Table.Td>
              <Table.Td>{when(k.createdAt, '')}</Table.Td>
              <Table.Td>{when(k.lastUsedAt, 'Never')}</Table.Td>
              <Table.Td>
                <Button size="xs" variant="default" color="red" onClick={() => void ask(k)} aria-label={`Revoke ${k.name}`}>
                  Revoke
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
