import { ActionIcon, Anchor, Badge, Button, Card, Group, SimpleGrid, Stack, Table, TagsInput, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import type { Contact } from '../api/api-types.ts';
import { useContactRuns, useDeleteContact, useUpdateContact } from '../api/queries/contact-list.queries.ts';
import { useContact, useFlowName } from '../api/queries/contacts.queries.ts';
import { useConversations } from '../api/queries/inbox.queries.ts';
import { useConsentHistory } from '../api/queries/privacy.queries.ts';
import { useCan } from '../api/queries/use-can.ts';
import { QueryState } from '../api/query-state.tsx';
import { STATE_COLORS, STATE_LABELS } from '../inbox/inbox-words.ts';
import { BackLink } from '../shell/back-link.tsx';
import { confirmAction } from '../shell/confirm.tsx';
import { PageHeader } from '../shell/page-header.tsx';

/** One contact: details and attributes (editable), tags, consent history, conversations and runs. */
export function ContactPage({ contactId }: { contactId: string }) {
  const contact = useContact(contactId);
  const navigate = useNavigate();
  const manage = useCan('contacts.manage');
  const privacy = useCan('privacy.manage');
  const remove = useDeleteContact(() => void navigate('/contacts'));
  async function confirmDelete(c: Contact) {
    const ok = await confirmAction({
      title: `Delete ${c.name ?? c.phone ?? 'this contact'}?`,
      message:
        'Their conversations, messages, media files and runs are deleted for good; broadcast totals keep an anonymous count. This cannot be undone.',
      confirmLabel: 'Delete contact',
    });
    if (ok) remove.mutate(contactId);
  }
  return (
    <QueryState query={contact} label="contact">
      {(c) => (
        <>
          <PageHeader
            back={<BackLink to="/contacts">Contacts</BackLink>}
            title={c.name ?? c.phone ?? 'Contact'}
            description={c.phone ?? undefined}
            actions={
              <>
                {privacy && (
                  <Button variant="default" component={Link} to={`/privacy/contacts/${contactId}`}>
                    Privacy: export, restrict, erase
                  </Button>
                )}
                {manage && (
                  <Button color="red" variant="outline" onClick={() => void confirmDelete(c)} loading={remove.isPending}>
                    Delete
                  </Button>
                )}
              </>
            }
          />
          <Group gap="xs" mb="md">
            {c.optedOut && <Badge color="gray">opted out</Badge>}
            {c.restricted && <Badge color="orange">restricted</Badge>}
            {c.legalHold && <Badge color="red">legal hold</Badge>}
            <Text size="sm" c="dimmed">
              Added {new Date(c.createdAt).toLocaleDateString()} · last message{' '}
              {c.lastSeenAt ? new Date(c.lastSeenAt).toLocaleString() : 'never'}
            </Text>
          </Group>
          <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
            <DetailsCard key={`${c.id}-${JSON.stringify(c.attributes)}-${c.tags.join(',')}`} contact={c} />
            <Stack gap="lg">
              <ConsentCard contactId={contactId} />
              <ConversationsCard contactId={contactId} />
              <RunsCard contactId={contactId} />
            </Stack>
          </SimpleGrid>
        </>
      )}
    </QueryState>
  );
}

interface AttributeRow {
  name: string;
  value: string;
}

function asText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Name, tags and attributes, edited together and saved at once. */
function DetailsCard({ contact }: { contact: Contact }) {
  const target = useCan('contacts.target');
  const update = useUpdateContact(contact.id);
  const [name, setName] = useState(contact.name ?? '');
  const [tags, setTags] = useState(contact.tags);
  const [rows, setRows] = useState<AttributeRow[]>(Object.entries(contact.attributes).map(([k, v]) => ({ name: k, value: asText(v) })));
  const editable = target === true;

  function save() {
    const attributes: Record<string, string | null> = {};
    for (const key of Object.keys(contact.attributes)) if (!rows.some((r) => r.name === key)) attributes[key] = null;
    for (const r of rows) if (r.name.trim() && asText(contact.attributes[r.name]) !== r.value) attributes[r.name.trim()] = r.value;
    const patch: Parameters<typeof update.mutate>[0] = { name: name.trim() || null };
    if (editable) Object.assign(patch, { tags, attributes });
    update.mutate(patch);
  }

  return (
    <Card withBorder aria-label="Details">
      <Title order={2} size="h4" mb="sm">
        Details
      </Title>
      <Stack gap="sm">
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <TagsInput
          label="Tags"
          value={tags}
          onChange={setTags}
          disabled={!editable}
          placeholder={editable ? 'Type a tag, press Enter' : undefined}
        />
        <Text size="sm" fw={500}>
          Attributes
        </Text>
        {rows.length === 0 && (
          <Text size="sm" c="dimmed">
            No attributes yet.
          </Text>
        )}
        {rows.map((r, i) => (
          <Group key={i} gap="xs" wrap="nowrap">
            <TextInput
              aria-label="Attribute name"
              placeholder="plan"
              value={r.name}
              disabled={!editable}
              onChange={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, name: e.currentTarget.value } : x)))}
              w="40%"
            />
            <TextInput
              aria-label={`Value of ${r.name || 'the attribute'}`}
              value={r.value}
              disabled={!editable}
              onChange={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, value: e.currentTarget.value } : x)))}
              style={{ flex: 1 }}
            />
            {editable && (
              <ActionIcon
                variant="subtle"
                color="red"
                aria-label={`Remove ${r.name || 'the attribute'}`}
                onClick={() => setRows(rows.filter((_, j) => j !== i))}
              >
                ✕
              </ActionIcon>
            )}
          </Group>
        ))}
        <Group justify="space-between">
          {editable ? (
            <Button variant="subtle" size="compact-sm" onClick={() => setRows([...rows, { name: '', value: '' }])}>
              Add an attribute
            </Button>
          ) : (
            <span />
          )}
          <Button onClick={save} loading={update.isPending}>
            Save
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

const CONSENT_WORDS: Record<string, string> = {
  opt_out: 'Opted out',
  opt_in: 'Opted in',
  restrict: 'Processing restricted',
  unrestrict: 'Restriction lifted',
};
const SOURCE_WORDS: Record<string, string> = { keyword: 'a keyword they sent', node: 'a flow', api: 'the API', editor: 'the editor' };

function ConsentCard({ contactId }: { contactId: string }) {
  const consent = useConsentHistory(contactId);
  return (
    <Card withBorder aria-label="Consent history">
      <Title order={2} size="h4" mb="sm">
        Consent history
      </Title>
      <QueryState query={consent} label="consent history">
        {(items) =>
          items.length === 0 ? (
            <Text size="sm" c="dimmed">
              No opt-out, opt-in or restriction recorded.
            </Text>
          ) : (
            <Table>
              <Table.Tbody>
                {items.map((e, i) => (
                  <Table.Tr key={i}>
                    <Table.Td>{new Date(e.at).toLocaleString()}</Table.Td>
                    <Table.Td>{CONSENT_WORDS[e.action] ?? e.action}</Table.Td>
                    <Table.Td>by {SOURCE_WORDS[e.source] ?? e.source}</Table.Td>
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

function ConversationsCard({ contactId }: { contactId: string }) {
  const conversations = useConversations({ contactId });
  return (
    <Card withBorder aria-label="Conversations">
      <Title order={2} size="h4" mb="sm">
        Conversations
      </Title>
      <QueryState query={conversations} label="conversations">
        {({ items }) =>
          items.length === 0 ? (
            <Text size="sm" c="dimmed">
              No conversation yet.
            </Text>
          ) : (
            <Stack gap={4}>
              {items.map((v) => (
                <Group key={v.id} gap="sm">
                  <Anchor component={Link} to={`/inbox/${v.id}`} size="sm">
                    Last message {new Date(v.lastMessageAt).toLocaleString()}
                  </Anchor>
                  <Badge variant="light" size="sm" color={STATE_COLORS[v.state]}>
                    {STATE_LABELS[v.state]}
                  </Badge>
                </Group>
              ))}
            </Stack>
          )
        }
      </QueryState>
    </Card>
  );
}

function RunsCard({ contactId }: { contactId: string }) {
  const runs = useContactRuns(contactId);
  return (
    <Card withBorder aria-label="Flow runs">
      <Title order={2} size="h4" mb="sm">
        Flow runs
      </Title>
      <QueryState query={runs} label="runs">
        {({ items }) =>
          items.length === 0 ? (
            <Text size="sm" c="dimmed">
              No flow has run for this contact.
            </Text>
          ) : (
            <Stack gap={4}>
              {items.map((r) => (
                <RunLine key={r.id} flowId={r.flowId} status={r.status} startedAt={r.startedAt} />
              ))}
            </Stack>
          )
        }
      </QueryState>
    </Card>
  );
}

const RUN_STATUS_WORDS: Record<string, string> = {
  running: 'running',
  waiting: 'waiting for a reply or a timer',
  completed: 'finished',
  failed: 'failed',
  stopped: 'stopped',
};

function RunLine({ flowId, status, startedAt }: { flowId: string; status: string; startedAt: string }) {
  const name = useFlowName(flowId);
  return (
    <Group gap="sm">
      <Anchor component={Link} to={`/flows/${flowId}`} size="sm">
        {name.data ?? 'A flow'}
      </Anchor>
      <Text size="sm" c="dimmed">
        {RUN_STATUS_WORDS[status] ?? status} · {new Date(startedAt).toLocaleString()}
      </Text>
    </Group>
  );
}
