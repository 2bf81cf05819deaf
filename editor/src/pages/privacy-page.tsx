import { Badge, Button, Card, Group, NumberInput, Progress, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import {
  privacyKeys,
  useLegalHolds,
  useRetentionPolicy,
  useRetentionPreview,
  useSweeps,
  type RetentionPolicy,
  type Sweep,
} from '../api/queries/privacy.queries.ts';
import type { Contact, Page } from '../api/api-types.ts';
import { QueryState } from '../api/query-state.tsx';
import { useApiMutation } from '../api/use-api-mutation.ts';
import { useSession } from '../session/session-context.tsx';
import { confirmAction } from '../shell/confirm.tsx';
import { EmptyState, PageHeader } from '../shell/page-header.tsx';
import { describeCron } from '../forms/cron-description.ts';

/** When the sweep runs, in words ("at 03:00 every day"); the expression itself when it cannot be said. */
const sweepTime = (cron: string) => {
  const { ok, text } = describeCron(cron);
  return ok ? text.charAt(0).toLowerCase() + text.slice(1) : cron;
};

/** Bytes in words a person reads (1.2 MB). */
export function formatBytes(bytes: number): string {
  if (bytes < 1_000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1_000).toFixed(1)} kB`;
  if (bytes < 1_000_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  return `${(bytes / 1_000_000_000).toFixed(1)} GB`;
}

/**
 * Privacy: how long each kind of data is kept (with what the next sweep would delete), legal
 * holds, sweeps with their progress and history, and a search for a contact's data requests.
 */
export function PrivacyPage() {
  const policy = useRetentionPolicy();
  return (
    <>
      <PageHeader
        title="Privacy"
        description="How long this workspace keeps each kind of data, what must be kept for legal reasons, and the nightly clean-up."
      />
      <Stack gap="xl">
        <QueryState query={policy} label="retention policy">
          {(p) => <PolicyCard policy={p} />}
        </QueryState>
        <SweepsCard />
        <HoldsCard />
        <ContactSearchCard />
      </Stack>
    </>
  );
}

function PolicyCard({ policy }: { policy: RetentionPolicy }) {
  const preview = useRetentionPreview();
  const [days, setDays] = useState<Record<string, number | null>>(policy.policy);
  const save = useApiMutation((api, body: { policy: Record<string, number | null> }) => api.put('/retention/policy', body), {
    invalidates: [privacyKeys.policy, privacyKeys.preview],
    success: 'Retention policy saved.',
  });
  const rows = preview.data ? new Map(preview.data.kinds.map((k) => [k.kind, k])) : null;
  return (
    <Card withBorder aria-label="Retention policy">
      <Title order={3} size="h4" mb={4}>
        Retention policy
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        Data older than its period is deleted by the scheduled sweep ({sweepTime(policy.schedule.cron)}, {policy.schedule.timezone} time).
        Leave a period empty to keep that data.
      </Text>
      <Table verticalSpacing="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Data</Table.Th>
            <Table.Th>Keep for (days)</Table.Th>
            <Table.Th>Next sweep deletes</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {policy.kinds.map((k) => {
            const p = rows?.get(k.kind);
            return (
              <Table.Tr key={k.kind}>
                <Table.Td>{k.label}</Table.Td>
                <Table.Td>
                  <NumberInput
                    aria-label={`Days to keep: ${k.label}`}
                    value={days[k.kind] ?? ''}
                    min={k.kind === 'audit_log' ? 365 : 1}
                    placeholder="keep"
                    w={120}
                    onChange={(v) => setDays({ ...days, [k.kind]: typeof v === 'number' ? v : null })}
                  />
                </Table.Td>
                <Table.Td>
                  {p ? (
                    p.days === null ? (
                      <Text span size="sm" c="dimmed">
                        kept
                      </Text>
                    ) : p.rows === 0 ? (
                      'nothing'
                    ) : (
                      `${p.rows.toLocaleString()} ${p.rows === 1 ? 'record' : 'records'} · ${formatBytes(p.bytes)}`
                    )
                  ) : (
                    '…'
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      {preview.data?.workspaceHold && (
        <Text c="orange" mt="sm">
          The whole workspace is under a legal hold: sweeps delete nothing until it is released.
        </Text>
      )}
      <Group mt="md">
        <Button loading={save.isPending} onClick={() => save.mutate({ policy: days })}>
          Save policy
        </Button>
      </Group>
    </Card>
  );
}

const STATUS_COLOR: Record<Sweep['status'], string> = { queued: 'gray', running: 'blue', completed: 'green', failed: 'red' };

function SweepsCard() {
  const sweeps = useSweeps();
  const start = useApiMutation((api, body: { dryRun: boolean }) => api.post('/retention/sweeps', body), {
    invalidates: [privacyKeys.sweeps],
    success: (_r, b) => (b.dryRun ? 'Dry run started.' : 'Sweep started.'),
  });
  async function runNow() {
    if (
      await confirmAction({
        title: 'Run the sweep now?',
        message: 'Data older than its retention period is deleted now, with its files. This cannot be undone.',
        confirmLabel: 'Delete expired data',
      })
    )
      start.mutate({ dryRun: false });
  }
  return (
    <Card withBorder aria-label="Sweeps">
      <Group justify="space-between" mb="md">
        <Title order={3} size="h4">
          Sweeps
        </Title>
        <Group gap="xs">
          <Button variant="default" onClick={() => start.mutate({ dryRun: true })} loading={start.isPending}>
            Dry run
          </Button>
          <Button color="red" onClick={() => void runNow()} loading={start.isPending}>
            Run now
          </Button>
        </Group>
      </Group>
      <QueryState query={sweeps} label="sweeps">
        {(items) =>
          items.length === 0 ? (
            <EmptyState title="No sweep yet.">The first one runs tonight; a dry run shows what it would delete.</EmptyState>
          ) : (
            <Stack gap="md">
              {items.slice(0, 10).map((s) => (
                <div key={s.id} aria-label={`Sweep of ${new Date(s.createdAt).toLocaleString()}`}>
                  <Group gap="xs" mb={4}>
                    <Badge color={STATUS_COLOR[s.status]}>{s.status}</Badge>
                    {s.dryRun && <Badge variant="outline">dry run</Badge>}
                    <Text size="sm">
                      {new Date(s.createdAt).toLocaleString()} ·{' '}
                      {s.trigger === 'schedule' ? 'scheduled' : s.trigger === 'cli' ? 'command line' : 'run by an admin'}
                    </Text>
                  </Group>
                  {s.error && (
                    <Text c="red" size="sm">
                      {s.error}
                    </Text>
                  )}
                  {s.kinds
                    .filter((k) => k.status !== 'kept')
                    .map((k) => (
                      <Group key={k.kind} gap="sm" wrap="nowrap">
                        <Text size="xs" w={260}>
                          {k.label}
                        </Text>
                        <Progress value={k.percent} w={200} aria-label={`${k.label}: ${k.percent}%`} />
                        <Text size="xs" c="dimmed">
                          {s.dryRun
                            ? `would delete ${k.total.toLocaleString()}`
                            : `${k.deleted.toLocaleString()} of ${k.total.toLocaleString()} deleted · ${formatBytes(k.bytes)}`}
                          {k.status === 'skipped' ? ' · skipped (legal hold)' : ''}
                        </Text>
                      </Group>
                    ))}
                </div>
              ))}
            </Stack>
          )
        }
      </QueryState>
    </Card>
  );
}

function HoldsCard() {
  const holds = useLegalHolds();
  const place = useApiMutation((api, body: Record<string, string>) => api.post('/legal-holds', body), {
    invalidates: [privacyKeys.holds, privacyKeys.preview],
    success: 'Legal hold placed.',
  });
  const release = useApiMutation((api, id: string) => api.delete(`/legal-holds/${id}`), {
    invalidates: [privacyKeys.holds, privacyKeys.preview],
    success: 'Legal hold released.',
  });
  const [scope, setScope] = useState<string>('workspace');
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const element = event.currentTarget;
    const data = new FormData(element);
    const target = String(data.get('target') ?? '').trim();
    const body: Record<string, string> = { scope, reason: String(data.get('reason') ?? '').trim() };
    if (scope === 'contact') body.contactId = target;
    if (scope === 'conversation') body.conversationId = target;
    place.mutate(body, { onSuccess: () => element.reset() });
  }
  async function confirmRelease(id: string) {
    if (
      await confirmAction({
        title: 'Release this legal hold?',
        message: 'Its data follows the retention policy again from the next sweep, and may be erased.',
        confirmLabel: 'Release hold',
      })
    )
      release.mutate(id);
  }
  return (
    <Card withBorder aria-label="Legal holds">
      <Title order={3} size="h4" mb={4}>
        Legal holds
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        Held data is never swept or erased until the hold is released.
      </Text>
      <form onSubmit={submit} aria-label="Place a legal hold">
        <Group align="flex-end" gap="sm" mb="md">
          <Select
            label="Hold"
            data={[
              { value: 'workspace', label: 'The whole workspace' },
              { value: 'contact', label: 'A contact' },
              { value: 'conversation', label: 'A conversation' },
            ]}
            value={scope}
            onChange={(v) => setScope(v ?? 'workspace')}
            w={200}
            allowDeselect={false}
          />
          {scope !== 'workspace' && (
            <TextInput name="target" label={scope === 'contact' ? 'Contact id' : 'Conversation id'} required w={320} />
          )}
          <TextInput name="reason" label="Reason" required maxLength={500} w={280} placeholder="Case or request it is kept for" />
          <Button type="submit" loading={place.isPending}>
            Place hold
          </Button>
        </Group>
      </form>
      <QueryState query={holds} label="legal holds">
        {(items) =>
          items.length === 0 ? (
            <Text c="dimmed">No legal hold.</Text>
          ) : (
            <Table>
              <Table.Tbody>
                {items.map((h) => (
                  <Table.Tr key={h.id}>
                    <Table.Td>{h.scope === 'workspace' ? 'Whole workspace' : `${h.scope} ${h.contactId ?? h.conversationId}`}</Table.Td>
                    <Table.Td>{h.reason}</Table.Td>
                    <Table.Td>
                      {h.active ? (
                        <Badge color="orange">active</Badge>
                      ) : (
                        <Badge color="gray">released {new Date(h.releasedAt!).toLocaleDateString()}</Badge>
                      )}
                    </Table.Td>
                    <Table.Td>
                      {h.active && (
                        <Button size="xs" variant="subtle" onClick={() => void confirmRelease(h.id)}>
                          Release
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </QueryState>
    </Card>
  );
}

function ContactSearchCard() {
  const { api } = useSession();
  const navigate = useNavigate();
  const [message, setMessage] = useState<string | null>(null);
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const phone = String(new FormData(event.currentTarget).get('phone') ?? '').trim();
    const found = await api.get<Page<Contact>>(`/contacts?phone=${encodeURIComponent(phone)}&limit=1`);
    if (found.items[0]) void navigate(`/privacy/contacts/${found.items[0].id}`);
    else setMessage(`No contact has the phone ${phone}.`);
  }
  return (
    <Card withBorder aria-label="A contact's data">
      <Title order={3} size="h4" mb={4}>
        A contact's data
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        Find a contact by phone to export, restrict or erase their data.
      </Text>
      <form onSubmit={(e) => void submit(e)} aria-label="Find a contact">
        <Group align="flex-end" gap="sm">
          <TextInput name="phone" label="Phone" placeholder="+15551234567" required w={240} />
          <Button type="submit" variant="default">
            Find contact
          </Button>
        </Group>
      </form>
      {message && <Text mt="sm">{message}</Text>}
    </Card>
  );
}
