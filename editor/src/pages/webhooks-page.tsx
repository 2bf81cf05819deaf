import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Code,
  CopyButton,
  Drawer,
  Group,
  Modal,
  ScrollArea,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useState } from 'react';
import { WEBHOOK_EVENT_LABELS, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../../../engine/webhooks/webhook-event-type.ts';
import type { CreatedWebhookEndpoint, RotatedWebhookSecret, WebhookDelivery, WebhookEndpoint } from '../api/api-types.ts';
import { useCan } from '../api/queries/use-can.ts';
import { useWebhookDeliveries, useWebhookDelivery, useWebhooks, webhookKeys } from '../api/queries/webhooks.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { useApiMutation } from '../api/use-api-mutation.ts';
import { confirmAction } from '../shell/confirm.tsx';
import { EmptyState, PageHeader } from '../shell/page-header.tsx';
import { messageOf } from '../error-message.ts';

type EndpointForm = { url: string; description: string; eventTypes: WebhookEventType[] };

/** Where a webhook stands, in words. */
export function endpointState(e: WebhookEndpoint): { label: string; color: string } {
  if (e.enabled) return e.failingSince ? { label: 'Failing', color: 'orange' } : { label: 'Active', color: 'green' };
  return e.disabledReason === 'failing'
    ? { label: 'Turned off after failing for a day', color: 'red' }
    : { label: 'Turned off', color: 'gray' };
}

const DELIVERY_STATUS: Record<WebhookDelivery['status'], { label: string; color: string }> = {
  succeeded: { label: 'Delivered', color: 'green' },
  pending: { label: 'Retrying', color: 'yellow' },
  failed: { label: 'Failed', color: 'red' },
};

/**
 * Event webhooks: tell another system (a CRM, a data warehouse) when something happens. Each
 * endpoint gets the events it subscribes to, signed with its secret (shown once), retried for a
 * day; its deliveries can be read and sent again.
 */
export function WebhooksPage() {
  const manages = useCan('webhooks.manage');
  const webhooks = useWebhooks(manages === true);
  const [editing, setEditing] = useState<WebhookEndpoint | 'new' | null>(null);
  const [secret, setSecret] = useState<{ title: string; value: string } | null>(null);
  const [viewing, setViewing] = useState<WebhookEndpoint | null>(null);

  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Tell another system when a contact writes, a conversation moves, a flow or broadcast finishes, or a contact opts out. Each call is signed so the receiver can check it came from here."
        // With no webhook yet the empty state holds the one "Add webhook" button.
        actions={manages === true && (webhooks.data?.length ?? 0) > 0 && <Button onClick={() => setEditing('new')}>Add webhook</Button>}
      />
      {manages === false && <Text>Webhooks are set up by the workspace's owners and admins.</Text>}
      {manages === true && (
        <QueryState query={webhooks} label="webhooks">
          {(items) =>
            items.length === 0 ? (
              <EmptyState title="No webhooks yet." action={<Button onClick={() => setEditing('new')}>Add webhook</Button>}>
                Give the address of your system and choose the events it should hear of.
              </EmptyState>
            ) : (
              <Stack gap="md">
                {items.map((e) => (
                  <EndpointCard
                    key={e.id}
                    endpoint={e}
                    onEdit={() => setEditing(e)}
                    onDeliveries={() => setViewing(e)}
                    onSecret={setSecret}
                  />
                ))}
              </Stack>
            )
          }
        </QueryState>
      )}
      <EndpointModal
        editing={editing}
        onClose={() => setEditing(null)}
        onCreated={(value) => setSecret({ title: 'Your signing secret', value })}
      />
      <SecretModal secret={secret} onClose={() => setSecret(null)} />
      <DeliveriesDrawer endpoint={viewing} onClose={() => setViewing(null)} />
    </>
  );
}

function EndpointCard({
  endpoint: e,
  onEdit,
  onDeliveries,
  onSecret,
}: {
  endpoint: WebhookEndpoint;
  onEdit: () => void;
  onDeliveries: () => void;
  onSecret: (s: { title: string; value: string }) => void;
}) {
  const state = endpointState(e);
  const toggle = useApiMutation((api, enabled: boolean) => api.patch(`/webhooks/${e.id}`, { enabled }), {
    invalidates: [webhookKeys.all],
    success: (_r, on) => (on ? 'Webhook turned on.' : 'Webhook turned off.'),
  });
  const rotate = useApiMutation((api) => api.post<RotatedWebhookSecret>(`/webhooks/${e.id}/rotate-secret`, {}), {
    invalidates: [webhookKeys.all],
    onSuccess: (r) => onSecret({ title: 'Your new signing secret', value: r.secret }),
  });
  const remove = useApiMutation((api) => api.delete(`/webhooks/${e.id}`), { invalidates: [webhookKeys.all], success: 'Webhook deleted.' });
  async function confirmRotate() {
    if (
      await confirmAction({
        title: 'Make a new signing secret?',
        message: 'Calls are signed with both the old and the new secret for 24 hours: put the new one in your receiver before then.',
        confirmLabel: 'Make a new secret',
      })
    )
      rotate.mutate();
  }
  async function confirmDelete() {
    if (
      await confirmAction({
        title: 'Delete this webhook?',
        message: `${e.url} hears of nothing more, and its delivery log is deleted.`,
        confirmLabel: 'Delete webhook',
      })
    )
      remove.mutate();
  }
  return (
    <Card withBorder aria-label={`Webhook ${e.url}`}>
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="sm">
        <Stack gap={4} style={{ minWidth: 0, flex: 1 }}>
          <Group gap="xs">
            <Text fw={600} style={{ wordBreak: 'break-all' }}>
              {e.url}
            </Text>
            <Badge color={state.color} variant="light">
              {state.label}
            </Badge>
          </Group>
          {e.description && <Text size="sm">{e.description}</Text>}
          <Text size="sm" c="dimmed">
            {e.eventTypes.map((t) => WEBHOOK_EVENT_LABELS[t]).join(' · ')}
          </Text>
          <Text size="sm" c="dimmed">
            Last 24 hours: {e.recent.succeeded} delivered, {e.recent.pending} retrying, {e.recent.failed} failed
          </Text>
          {e.failingSince && e.enabled && (
            <Text size="sm" c="orange">
              Failing since {new Date(e.failingSince).toLocaleString()}: after a day of failures it is turned off.
            </Text>
          )}
          {e.disabledReason === 'failing' && (
            <Text size="sm" c="red">
              Every call failed for a day, so it was turned off on {new Date(e.disabledAt!).toLocaleString()}. Fix the receiver, then turn
              it on again.
            </Text>
          )}
        </Stack>
        <Switch
          checked={e.enabled}
          onChange={(ev) => toggle.mutate(ev.currentTarget.checked)}
          label={e.enabled ? 'On' : 'Off'}
          aria-label={`Webhook ${e.url} on`}
        />
      </Group>
      <Group gap="xs" mt="sm">
        <Button size="xs" variant="light" onClick={onDeliveries}>
          Deliveries
        </Button>
        <Button size="xs" variant="default" onClick={onEdit}>
          Edit
        </Button>
        <Button size="xs" variant="default" onClick={() => void confirmRotate()} loading={rotate.isPending}>
          New secret
        </Button>
        <Button size="xs" variant="subtle" color="red" onClick={() => void confirmDelete()}>
          Delete
        </Button>
      </Group>
    </Card>
  );
}

function EndpointModal({
  editing,
  onClose,
  onCreated,
}: {
  editing: WebhookEndpoint | 'new' | null;
  onClose: () => void;
  onCreated: (secret: string) => void;
}) {
  const isNew = editing === 'new';
  const initial: EndpointForm =
    editing && editing !== 'new'
      ? { url: editing.url, description: editing.description, eventTypes: editing.eventTypes }
      : { url: '', description: '', eventTypes: ['message.received'] };
  return (
    <Modal opened={editing !== null} onClose={onClose} title={isNew ? 'Add a webhook' : 'Edit the webhook'} size="lg">
      {editing !== null && (
        <EndpointFormBody
          key={isNew ? 'new' : editing.id}
          id={isNew ? null : editing.id}
          initial={initial}
          onClose={onClose}
          onCreated={onCreated}
        />
      )}
    </Modal>
  );
}

function EndpointFormBody({
  id,
  initial,
  onClose,
  onCreated,
}: {
  id: string | null;
  initial: EndpointForm;
  onClose: () => void;
  onCreated: (secret: string) => void;
}) {
  const [form, setForm] = useState<EndpointForm>(initial);
  const save = useApiMutation(
    (api, body: EndpointForm) =>
      id ? api.patch(`/webhooks/${id}`, body).then(() => null) : api.post<CreatedWebhookEndpoint>('/webhooks', body),
    {
      invalidates: [webhookKeys.all],
      success: id ? 'Webhook saved.' : 'Webhook added.',
      notifyError: false,
      onSuccess: (r) => {
        onClose();
        if (r) onCreated(r.secret);
      },
    },
  );
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(form);
      }}
    >
      <Stack gap="sm">
        <TextInput
          label="Address"
          description="Where the calls go (https://…). A private or internal address works only if the server's HTTP_ALLOW_HOSTS setting names it."
          required
          value={form.url}
          onChange={(e) => setForm({ ...form, url: e.currentTarget.value })}
          placeholder="https://crm.example.com/hooks/onemessage"
          data-autofocus
        />
        <TextInput
          label="Description"
          value={form.description}
          maxLength={200}
          onChange={(e) => setForm({ ...form, description: e.currentTarget.value })}
          placeholder="Our CRM"
        />
        <Checkbox.Group
          label="Events"
          description="What this address hears of"
          value={form.eventTypes}
          onChange={(v) => setForm({ ...form, eventTypes: v as WebhookEventType[] })}
          required
        >
          <Stack gap={6} mt="xs">
            {WEBHOOK_EVENT_TYPES.map((t) => (
              <Checkbox key={t} value={t} label={WEBHOOK_EVENT_LABELS[t]} />
            ))}
          </Stack>
        </Checkbox.Group>
        {save.error && (
          <Alert color="red" title="Not saved">
            {messageOf(save.error)}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending} disabled={form.eventTypes.length === 0}>
            {id ? 'Save' : 'Add webhook'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function SecretModal({ secret, onClose }: { secret: { title: string; value: string } | null; onClose: () => void }) {
  return (
    <Modal opened={secret !== null} onClose={onClose} title={secret?.title ?? ''} size="lg">
      {secret && (
        <Stack gap="sm">
          <Text size="sm">
            Put it in your receiver to check each call's signature (the Standard Webhooks libraries do it in one line). It is shown only
            now.
          </Text>
          <Code block aria-label="Signing secret" style={{ wordBreak: 'break-all' }}>
            {secret.value}
          </Code>
          <Group justify="flex-end">
            <CopyButton value={secret.value}>
              {({ copied, copy }) => (
                <Button variant="default" onClick={copy}>
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              )}
            </CopyButton>
            <Button onClick={onClose}>I have stored it</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

function DeliveriesDrawer({ endpoint, onClose }: { endpoint: WebhookEndpoint | null; onClose: () => void }) {
  const deliveries = useWebhookDeliveries(endpoint?.id ?? null);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <Drawer opened={endpoint !== null} onClose={onClose} position="right" size="xl" title={endpoint ? `Deliveries to ${endpoint.url}` : ''}>
      {endpoint && (
        <QueryState query={deliveries} label="deliveries">
          {(items) =>
            items.length === 0 ? (
              <EmptyState title="Nothing sent yet.">Calls appear here as the events happen (kept 7 days).</EmptyState>
            ) : (
              <Table.ScrollContainer minWidth={560}>
                <Table verticalSpacing="xs" highlightOnHover>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Event</Table.Th>
                      <Table.Th>When</Table.Th>
                      <Table.Th>Result</Table.Th>
                      <Table.Th>Tries</Table.Th>
                      <Table.Th />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {items.map((d) => (
                      <Table.Tr key={d.id}>
                        <Table.Td>{WEBHOOK_EVENT_LABELS[d.type as WebhookEventType] ?? d.type}</Table.Td>
                        <Table.Td>{new Date(d.createdAt).toLocaleString()}</Table.Td>
                        <Table.Td>
                          <Badge color={DELIVERY_STATUS[d.status].color} variant="light">
                            {DELIVERY_STATUS[d.status].label}
                            {d.lastStatusCode !== null ? ` · ${d.lastStatusCode}` : ''}
                          </Badge>
                        </Table.Td>
                        <Table.Td>{d.attempts}</Table.Td>
                        <Table.Td>
                          <Button size="xs" variant="subtle" onClick={() => setOpen(d.id)}>
                            Details
                          </Button>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )
          }
        </QueryState>
      )}
      <DeliveryModal deliveryId={open} endpointId={endpoint?.id ?? null} onClose={() => setOpen(null)} />
    </Drawer>
  );
}

function DeliveryModal({ deliveryId, endpointId, onClose }: { deliveryId: string | null; endpointId: string | null; onClose: () => void }) {
  const delivery = useWebhookDelivery(deliveryId);
  const [showData, setShowData] = useState(false);
  const redeliver = useApiMutation((api, id: string) => api.post(`/webhook-deliveries/${id}/redeliver`, {}), {
    invalidates: [webhookKeys.delivery(deliveryId ?? ''), webhookKeys.deliveries(endpointId ?? ''), webhookKeys.all],
    success: 'Sent again: the receiver gets the same webhook-id, so it can tell it already has it.',
  });
  return (
    <Modal opened={deliveryId !== null} onClose={onClose} title="Delivery" size="xl">
      <QueryState query={delivery} label="delivery">
        {(d) => (
          <Stack gap="sm">
            <Group justify="space-between">
              <Text size="sm">
                {WEBHOOK_EVENT_LABELS[d.type as WebhookEventType] ?? d.type} · webhook-id <Code>{d.eventId}</Code>
              </Text>
              <Button size="xs" onClick={() => redeliver.mutate(d.id)} loading={redeliver.isPending}>
                Send again
              </Button>
            </Group>
            {d.status === 'pending' && d.nextAttemptAt && <Text size="sm">Next try {new Date(d.nextAttemptAt).toLocaleString()}.</Text>}
            {d.status === 'failed' && d.failureReason && (
              <Text size="sm" c="red">
                Gave up: {d.failureReason}
              </Text>
            )}
            <Table verticalSpacing="xs" aria-label="Attempts">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Answer</Table.Th>
                  <Table.Th>Took</Table.Th>
                  <Table.Th>What came back</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {d.attemptLog.map((a) => (
                  <Table.Tr key={a.id}>
                    <Table.Td>
                      {new Date(a.attemptedAt).toLocaleString()}
                      {a.manual ? ' (sent again by hand)' : ''}
                    </Table.Td>
                    <Table.Td>{a.statusCode ?? 'no answer'}</Table.Td>
                    <Table.Td>{a.durationMs} ms</Table.Td>
                    <Table.Td>
                      <Text size="xs" style={{ wordBreak: 'break-all' }} lineClamp={3}>
                        {a.error ?? a.responseExcerpt ?? ''}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <Switch label="Show data" checked={showData} onChange={(e) => setShowData(e.currentTarget.checked)} />
            {showData && (
              <ScrollArea.Autosize mah={320}>
                <Code block>{JSON.stringify(d.payload, null, 2)}</Code>
              </ScrollArea.Autosize>
            )}
          </Stack>
        )}
      </QueryState>
    </Modal>
  );
}
