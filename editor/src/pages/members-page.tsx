import { Alert, Button, Card, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import type { CreatedInvitation, Member, PendingInvitation } from '../api/api-types.ts';
import { memberKeys, useInvitations, useMembers } from '../api/queries/members.queries.ts';
import { useCan } from '../api/queries/use-can.ts';
import { QueryState } from '../api/query-state.tsx';
import { useApiMutation } from '../api/use-api-mutation.ts';
import { confirmAction } from '../shell/confirm.tsx';
import { EmptyState, PageHeader } from '../shell/page-header.tsx';

const ROLES = [
  { value: 'agent', label: 'Agent (inbox and replies)' },
  { value: 'marketer', label: 'Marketer (flows and broadcasts)' },
  { value: 'admin', label: 'Admin (channels, members, keys)' },
  { value: 'owner', label: 'Owner' },
];

/** What a role is called on the page: "Agent", not the API's `agent`. */
function roleName(role: string): string {
  return role.charAt(0).toUpperCase() + role.slice(1);
}

/** The workspace's members, and for admins: invite by email, pending invitations, revoke. */
export function MembersPage() {
  const manages = useCan('members.manage') === true;
  const members = useMembers();
  const invitations = useInvitations(manages);
  const [created, setCreated] = useState<CreatedInvitation | null>(null);

  return (
    <>
      <PageHeader title="Members" description="The people who work in this workspace, and what each may do." />
      {manages && <InviteForm onCreated={setCreated} />}
      {created && <InvitationLink invitation={created} onDone={() => setCreated(null)} />}
      <QueryState query={members} label="members">
        {(items) => (
          <Table.ScrollContainer minWidth={480}>
            <Table verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Email</Table.Th>
                  <Table.Th>Role</Table.Th>
                  {manages && <Table.Th />}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((m) => (
                  <Table.Tr key={m.id}>
                    <Table.Td>{m.name}</Table.Td>
                    <Table.Td>{m.email}</Table.Td>
                    <Table.Td>{manages ? <RoleSelect member={m} /> : roleName(m.role)}</Table.Td>
                    {manages && (
                      <Table.Td>
                        <RemoveMember member={m} />
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryState>
      {manages && (
        <Stack component="section" aria-labelledby="pending-title" mt="xl" gap="sm">
          <Title order={2} size="h4" id="pending-title">
            Pending invitations
          </Title>
          <QueryState query={invitations} label="invitations">
            {(items) =>
              items.length === 0 ? (
                <Text c="dimmed">No pending invitations.</Text>
              ) : (
                <PendingList invitations={items} onRevoked={(id) => created?.id === id && setCreated(null)} />
              )
            }
          </QueryState>
        </Stack>
      )}
    </>
  );
}

function InviteForm({ onCreated }: { onCreated: (invitation: CreatedInvitation) => void }) {
  const invite = useApiMutation((api, body: { email: string; role: string }) => api.post<CreatedInvitation>('/invitations', body), {
    invalidates: [memberKeys.invitations],
    onSuccess: onCreated,
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    invite.mutate(
      { email: String(form.get('email') ?? '').trim(), role: String(form.get('role') ?? 'agent') },
      { onSuccess: () => element.reset() },
    );
  }
  return (
    <Card withBorder mb="lg" component="form" onSubmit={submit} aria-label="Invite someone">
      <Group align="flex-end" gap="sm" wrap="wrap">
        <TextInput name="email" type="email" label="Email" required maxLength={254} placeholder="sam@example.com" w={280} />
        <NativeSelect name="role" label="Role" data={ROLES} defaultValue="agent" w={280} />
        <Button type="submit" loading={invite.isPending}>
          Invite
        </Button>
      </Group>
    </Card>
  );
}

/** The new invitation's link, shown once, with a Copy button that falls back to selecting it. */
function InvitationLink({ invitation, onDone }: { invitation: CreatedInvitation; onDone: () => void }) {
  // After Copy: 'copied', or 'select' when the browser refused the clipboard (the person copies by hand).
  const [copied, setCopied] = useState<'copied' | 'select' | null>(null);
  const input = useRef<HTMLInputElement>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(invitation.acceptUrl);
      setCopied('copied');
    } catch {
      // No clipboard (plain http on another host than localhost, or permission refused).
      input.current?.select();
      setCopied('select');
    }
  }
  return (
    <Alert color="blue" variant="light" mb="lg" role="status" aria-label={`Invitation link for ${invitation.email}`}>
      <Stack gap="sm">
        <Text size="sm">
          {invitation.emailed
            ? `Invitation emailed to ${invitation.email}. You can also send them this link yourself.`
            : `Send this link to ${invitation.email} yourself: no email was sent.`}{' '}
          It is shown only now, and works once, for 7 days.
        </Text>
        <Group gap="sm" wrap="nowrap">
          <TextInput
            ref={input}
            readOnly
            aria-label="Invitation link"
            value={invitation.acceptUrl}
            onFocus={(e) => e.currentTarget.select()}
            ff="monospace"
            style={{ flex: 1 }}
          />
          <Button variant="default" onClick={() => void copy()}>
            {copied === 'copied' ? 'Copied' : 'Copy link'}
          </Button>
          <Button variant="subtle" onClick={onDone}>
            Done
          </Button>
        </Group>
        {copied === 'select' && (
          <Text size="sm">Your browser did not allow copying: the link is selected, press Ctrl+C (⌘C on a Mac).</Text>
        )}
      </Stack>
    </Alert>
  );
}

function PendingList({ invitations, onRevoked }: { invitations: PendingInvitation[]; onRevoked: (id: string) => void }) {
  const revoke = useApiMutation((api, invitation: PendingInvitation) => api.delete(`/invitations/${invitation.id}`), {
    invalidates: [memberKeys.invitations],
    success: (_r, i) => `The invitation of ${i.email} no longer works.`,
    onSuccess: (_r, i) => onRevoked(i.id),
  });
  if (invitations.length === 0) return <EmptyState title="No pending invitations" />;
  return (
    <Stack component="ul" gap="xs" p={0} m={0} style={{ listStyle: 'none' }}>
      {invitations.map((i) => (
        <Card component="li" key={i.id} withBorder padding="sm">
          <Group justify="space-between" wrap="wrap">
            <Text size="sm">
              <strong>{i.email}</strong> · {roleName(i.role)}{' '}
              <Text span c="dimmed" size="sm">
                · invited{i.invitedByName ? ` by ${i.invitedByName}` : ''}, expires {new Date(i.expiresAt).toLocaleDateString()}
              </Text>
            </Text>
            <Button size="xs" variant="default" onClick={() => revoke.mutate(i)}>
              Revoke
            </Button>
          </Group>
        </Card>
      ))}
    </Stack>
  );
}

/** A member's role, changed in place (the API refuses to leave the workspace without an owner, and says so). */
function RoleSelect({ member }: { member: Member }) {
  const change = useApiMutation((api, role: string) => api.patch(`/members/${member.id}`, { role }), {
    invalidates: [memberKeys.all],
    success: (_r, role) => `${member.name} is now ${roleName(role).toLowerCase()}.`,
  });
  return (
    <NativeSelect
      aria-label={`Access of ${member.name}`}
      data={ROLES}
      value={member.role}
      disabled={change.isPending}
      onChange={(e) => change.mutate(e.currentTarget.value)}
      w={280}
    />
  );
}

function RemoveMember({ member }: { member: Member }) {
  const remove = useApiMutation((api) => api.delete(`/members/${member.id}`), {
    invalidates: [memberKeys.all],
    success: `${member.name} was removed from the workspace.`,
  });
  async function ask() {
    const ok = await confirmAction({
      title: `Remove ${member.name}?`,
      message: `${member.name} can no longer open this workspace and is logged out everywhere. Their account stays; invite them again to bring them back.`,
      confirmLabel: 'Remove member',
    });
    if (ok) remove.mutate();
  }
  return (
    <Button size="xs" variant="default" onClick={() => void ask()} aria-label={`Remove ${member.name}`}>
      Remove
    </Button>
  );
}
