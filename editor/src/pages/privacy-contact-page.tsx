import { Anchor, Badge, Button, Card, Group, Progress, Stack, Table, Text, Title } from '@mantine/core';
import { useNavigate } from 'react-router';
import { privacyKeys, useConsentHistory, useContactExports, usePrivacyContact } from '../api/queries/privacy.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { useApiMutation } from '../api/use-api-mutation.ts';
import { BackLink } from '../shell/back-link.tsx';
import { confirmAction } from '../shell/confirm.tsx';
import { PageHeader } from '../shell/page-header.tsx';

/** A contact's data-subject requests: export (with progress and download), restrict, erase; and their consent history. */
export function PrivacyContactPage({ contactId }: { contactId: string }) {
  const contact = usePrivacyContact(contactId);
  const exports = useContactExports(contactId);
  const consent = useConsentHistory(contactId);
  const navigate = useNavigate();
  const requestExport = useApiMutation((api) => api.post(`/contacts/${contactId}/export`), {
    invalidates: [privacyKeys.exports(contactId)],
    success: 'Export started.',
  });
  const restrict = useApiMutation((api, restricted: boolean) => api.patch(`/contacts/${contactId}`, { restricted }), {
    invalidates: [privacyKeys.contact(contactId), privacyKeys.consent(contactId)],
    success: (_r, restricted) =>
      restricted ? 'Processing restricted: no automated message or broadcast reaches them.' : 'Restriction lifted.',
  });
  const erase = useApiMutation((api) => api.post(`/contacts/${contactId}/erase`), {
    success: 'Contact erased.',
    onSuccess: () => void navigate('/privacy'),
  });

  async function confirmRestrict(restricted: boolean) {
    const ok = await confirmAction({
      title: restricted ? 'Restrict processing?' : 'Lift the restriction?',
      message: restricted
        ? 'Flows stop for this contact (waiting runs end) and broadcasts skip them. Their data is kept.'
        : 'Flows and broadcasts may reach this contact again.',
      confirmLabel: restricted ? 'Restrict' : 'Lift restriction',
      danger: restricted,
    });
    if (ok) restrict.mutate(restricted);
  }
  async function confirmErase() {
    const ok = await confirmAction({
      title: 'Erase this contact?',
      message:
        'Their messages, media files, notes, runs and consent history are deleted for good; broadcast totals keep an anonymous count. This cannot be undone.',
      confirmLabel: 'Erase contact',
    });
    if (ok) erase.mutate();
  }

  return (
    <QueryState query={contact} label="contact">
      {(c) => (
        <>
          <PageHeader
            back={<BackLink to="/privacy">Privacy</BackLink>}
            title={c.name ?? c.phone ?? 'Contact'}
            description={c.phone ?? undefined}
          />
          <Group gap="xs" mb="md">
            {c.optedOut && <Badge color="gray">opted out</Badge>}
            {c.restricted && <Badge color="orange">restricted</Badge>}
            {c.legalHold && <Badge color="red">legal hold</Badge>}
          </Group>
          <Stack gap="lg">
            <Card withBorder aria-label="Data requests">
              <Title order={3} size="h4" mb="sm">
                Data requests
              </Title>
              <Group gap="sm">
                <Button onClick={() => requestExport.mutate()} loading={requestExport.isPending}>
                  Export data
                </Button>
                <Button variant="default" onClick={() => void confirmRestrict(!c.restricted)} loading={restrict.isPending}>
                  {c.restricted ? 'Lift restriction' : 'Restrict processing'}
                </Button>
                <Button color="red" variant="outline" onClick={() => void confirmErase()} loading={erase.isPending}>
                  Erase contact
                </Button>
              </Group>
              <QueryState query={exports} label="exports">
                {(items) => (
                  <Stack gap={6} mt="md">
                    {items.map((e) => (
                      <Group key={e.id} gap="sm">
                        <Text size="sm" w={180}>
                          Export of {new Date(e.createdAt).toLocaleString()}
                        </Text>
                        {e.status === 'ready' && e.downloadPath ? (
                          <Anchor href={e.downloadPath} size="sm">
                            Download (until {new Date(e.expiresAt!).toLocaleDateString()})
                          </Anchor>
                        ) : (
                          <>
                            <Progress value={e.progress} w={160} aria-label={`Export ${e.progress}%`} />
                            <Text size="sm" c="dimmed">
                              {e.status}
                            </Text>
                          </>
                        )}
                      </Group>
                    ))}
                  </Stack>
                )}
              </QueryState>
            </Card>
            <Card withBorder aria-label="Consent history">
              <Title order={3} size="h4" mb="sm">
                Consent history
              </Title>
              <QueryState query={consent} label="consent history">
                {(items) =>
                  items.length === 0 ? (
                    <Text c="dimmed">No opt-out, opt-in or restriction recorded.</Text>
                  ) : (
                    <Table>
                      <Table.Tbody>
                        {items.map((e, i) => (
                          <Table.Tr key={i}>
                            <Table.Td>{new Date(e.at).toLocaleString()}</Table.Td>
                            <Table.Td>{e.action.replace('_', ' ')}</Table.Td>
                            <Table.Td>
                              {{ keyword: 'keyword they sent', node: 'a flow', api: 'the API', editor: 'the editor' }[e.source] ?? e.source}
                            </Table.Td>
                          </Table.Tr>
                        ))}
                      </Table.Tbody>
                    </Table>
                  )
                }
              </QueryState>
            </Card>
          </Stack>
        </>
      )}
    </QueryState>
  );
}
