import { Anchor, Badge, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import type { Conversation, TimelineItem } from '../api/api-types.ts';
import { useContact, useFlowName } from '../api/queries/contacts.queries.ts';
import { useConversations } from '../api/queries/inbox.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { contactLabel, STATE_LABELS, timeOf } from './inbox-words.ts';

/** Attribute values as text: strings as they are, anything else as JSON. */
function valueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The run of a flow that last ran before the conversation came to the inbox (the hand-off's run); none while the bot has it. */
export function runThatLedHere(items: readonly TimelineItem[]): Extract<TimelineItem, { kind: 'run' }> | null {
  const handOff = items.findLast(
    (i) => i.kind === 'event' && (i.toState === 'queued' || i.toState === 'assigned') && i.fromState === 'bot',
  );
  if (!handOff) return null;
  const runs = items.filter((i): i is Extract<TimelineItem, { kind: 'run' }> => i.kind === 'run' && i.at <= handOff.at);
  return runs.at(-1) ?? null;
}

/** Who the contact is: name, phone, tags, attributes, opt-out, their other conversations, and the run that led here. */
export function ContactCard({
  conversation,
  timeline,
  onOpen,
}: {
  conversation: Conversation;
  timeline: readonly TimelineItem[];
  onOpen: (id: string) => void;
}) {
  const contact = useContact(conversation.contactId);
  const others = useConversations({ contactId: conversation.contactId });
  const run = runThatLedHere(timeline);
  return (
    <Stack gap="md" aria-label="Contact" component="section">
      <QueryState query={contact} label="contact">
        {(c) => (
          <Stack gap="xs">
            <Title order={3} size="h4">
              {contactLabel(c)}
            </Title>
            {c.phone && (
              <Text size="sm" c="dimmed">
                {c.phone}
              </Text>
            )}
            <Group gap={4}>
              {c.optedOut && (
                <Badge color="red" variant="light">
                  Opted out: no automated messages
                </Badge>
              )}
              {c.restricted && (
                <Badge color="orange" variant="light">
                  Restricted
                </Badge>
              )}
              {c.erased && (
                <Badge color="gray" variant="light">
                  Erased
                </Badge>
              )}
            </Group>
            <div>
              <Text size="xs" fw={700} c="dimmed" tt="uppercase">
                Tags
              </Text>
              {c.tags.length === 0 ? (
                <Text size="sm" c="dimmed">
                  None
                </Text>
              ) : (
                <Group gap={4} mt={2} aria-label="Tags">
                  {c.tags.map((t) => (
                    <Badge key={t} variant="outline" tt="none">
                      {t}
                    </Badge>
                  ))}
                </Group>
              )}
            </div>
            <div>
              <Text size="xs" fw={700} c="dimmed" tt="uppercase">
                Attributes
              </Text>
              {Object.keys(c.attributes).length === 0 ? (
                <Text size="sm" c="dimmed">
                  None
                </Text>
              ) : (
                <Table withRowBorders={false} verticalSpacing={2} horizontalSpacing={4} fz="sm" aria-label="Attributes">
                  <Table.Tbody>
                    {Object.entries(c.attributes).map(([k, v]) => (
                      <Table.Tr key={k}>
                        <Table.Td c="dimmed" style={{ whiteSpace: 'nowrap', verticalAlign: 'top' }}>
                          {k}
                        </Table.Td>
                        <Table.Td style={{ overflowWrap: 'anywhere' }}>{valueText(v)}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
            </div>
          </Stack>
        )}
      </QueryState>
      {run && <RunThatLedHere run={run} />}
      <div>
        <Text size="xs" fw={700} c="dimmed" tt="uppercase">
          Other conversations
        </Text>
        {(others.data?.items ?? []).filter((o) => o.id !== conversation.id).length === 0 ? (
          <Text size="sm" c="dimmed">
            None
          </Text>
        ) : (
          <Stack gap={2} mt={2} component="ul" p={0} m={0} style={{ listStyle: 'none' }} aria-label="Other conversations">
            {others
              .data!.items.filter((o) => o.id !== conversation.id)
              .slice(0, 10)
              .map((o) => (
                <li key={o.id}>
                  <Anchor component="button" size="sm" onClick={() => onOpen(o.id)}>
                    {timeOf(o.lastMessageAt)} · {STATE_LABELS[o.state]}
                  </Anchor>
                </li>
              ))}
          </Stack>
        )}
      </div>
    </Stack>
  );
}

function RunThatLedHere({ run }: { run: Extract<TimelineItem, { kind: 'run' }> }) {
  const flowName = useFlowName(run.flowId).data;
  return (
    <Paper withBorder p="xs" radius="md">
      <Text size="xs" fw={700} c="dimmed" tt="uppercase">
        How it got here
      </Text>
      <Text size="sm">
        Flow{' '}
        <Anchor component={Link} to={`/flows/${run.flowId}`}>
          {flowName ?? 'that ran'}
        </Anchor>{' '}
        ({run.status}) at {timeOf(run.at)}
      </Text>
    </Paper>
  );
}
