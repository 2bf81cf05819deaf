import { Button, Group, Menu, Modal, Select, Stack, Textarea } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useState } from 'react';
import type { Conversation, Team } from '../api/api-types.ts';
import { useAssign, useReopen, useResolve, useSnooze, useTake, useTransfer } from '../api/queries/inbox.queries.ts';

const HOUR_MS = 3_600_000;

/** The snooze choices: in an hour, in 4 hours, tomorrow at 9, next Monday at 9 (local time). */
export function snoozeChoices(now: Date): { label: string; until: Date }[] {
  const tomorrow = new Date(now);
  tomorrow.setDate(now.getDate() + 1);
  tomorrow.setHours(9, 0, 0, 0);
  const monday = new Date(now);
  monday.setDate(now.getDate() + ((8 - now.getDay()) % 7 || 7));
  monday.setHours(9, 0, 0, 0);
  return [
    { label: 'For 1 hour', until: new Date(now.getTime() + HOUR_MS) },
    { label: 'For 4 hours', until: new Date(now.getTime() + 4 * HOUR_MS) },
    { label: 'Until tomorrow 9:00', until: tomorrow },
    { label: 'Until Monday 9:00', until: monday },
  ];
}

/**
 * What the person can do with the conversation now: take it (from the bot or the queue),
 * resolve, snooze or transfer it (theirs, or any for a supervisor), reopen it once resolved.
 */
export function ConversationActions({
  conversation: c,
  myUserId,
  supervisor,
  teams,
  nameOf,
}: {
  conversation: Conversation;
  myUserId: string | null;
  supervisor: boolean;
  teams: Team[];
  nameOf: (userId: string | null) => string;
}) {
  const take = useTake();
  const resolve = useResolve();
  const reopen = useReopen();
  const snooze = useSnooze();
  const assign = useAssign();
  const [transferOpen, transferModal] = useDisclosure(false);
  const mine = c.assigneeUserId !== null && c.assigneeUserId === myUserId;
  const mayMove = mine || supervisor || c.assigneeUserId === null;
  const open = c.state !== 'resolved';
  // Resolving or snoozing is for whoever has it; a supervisor may also close a waiting one.
  const mayClose = open && (mine || (supervisor && c.state !== 'bot'));
  const team = teams.find((t) => t.id === c.teamId);

  return (
    <Group gap="xs" wrap="wrap">
      {open && c.assigneeUserId === null && (
        <Button size="xs" onClick={() => take.mutate(c.id)} loading={take.isPending}>
          Take
        </Button>
      )}
      {mayClose && (
        <Button size="xs" color="green" onClick={() => resolve.mutate(c.id)} loading={resolve.isPending}>
          Resolve
        </Button>
      )}
      {mayClose && (
        <Menu position="bottom-end">
          <Menu.Target>
            <Button size="xs" variant="default" loading={snooze.isPending}>
              Snooze
            </Button>
          </Menu.Target>
          <Menu.Dropdown>
            {snoozeChoices(new Date()).map((choice) => (
              <Menu.Item key={choice.label} onClick={() => snooze.mutate({ id: c.id, until: choice.until })}>
                {choice.label}
              </Menu.Item>
            ))}
          </Menu.Dropdown>
        </Menu>
      )}
      {open && mayMove && teams.length > 0 && (
        <Button size="xs" variant="default" onClick={transferModal.open}>
          Transfer
        </Button>
      )}
      {open && supervisor && team && team.members.length > 0 && (
        <Menu position="bottom-end">
          <Menu.Target>
            <Button size="xs" variant="default" loading={assign.isPending}>
              Assign
            </Button>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Label>Agents of {team.name}</Menu.Label>
            {team.members.map((m) => (
              <Menu.Item
                key={m.userId}
                disabled={m.userId === c.assigneeUserId}
                onClick={() => assign.mutate({ id: c.id, userId: m.userId })}
              >
                {nameOf(m.userId)}
              </Menu.Item>
            ))}
          </Menu.Dropdown>
        </Menu>
      )}
      {!open && (
        <Button size="xs" variant="default" onClick={() => reopen.mutate(c.id)} loading={reopen.isPending}>
          Reopen
        </Button>
      )}
      <TransferModal opened={transferOpen} onClose={transferModal.close} conversation={c} teams={teams} nameOf={nameOf} />
    </Group>
  );
}

function TransferModal({
  opened,
  onClose,
  conversation,
  teams,
  nameOf,
}: {
  opened: boolean;
  onClose: () => void;
  conversation: Conversation;
  teams: Team[];
  nameOf: (userId: string | null) => string;
}) {
  const transfer = useTransfer();
  const [teamId, setTeamId] = useState<string | null>(null);
  const [agentId, setAgentId] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const team = teams.find((t) => t.id === teamId);
  return (
    <Modal opened={opened} onClose={onClose} title="Transfer the conversation">
      <Stack>
        <Select
          label="Team"
          placeholder="Pick a team"
          data={teams.map((t) => ({ value: t.id, label: t.id === conversation.teamId ? `${t.name} (its team now)` : t.name }))}
          value={teamId}
          onChange={(v) => {
            setTeamId(v);
            setAgentId(null);
          }}
          allowDeselect={false}
        />
        <Select
          label="Agent (optional)"
          description="Left empty, it waits in the team's queue and is assigned as the team's strategy says."
          placeholder="Anyone in the team"
          data={(team?.members ?? []).map((m) => ({ value: m.userId, label: nameOf(m.userId) }))}
          value={agentId}
          onChange={setAgentId}
          clearable
          disabled={!team}
        />
        <Textarea
          label="Note for whoever gets it (optional)"
          maxLength={500}
          value={note}
          onChange={(e) => setNote(e.currentTarget.value)}
          autosize
          minRows={2}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            disabled={!teamId}
            loading={transfer.isPending}
            onClick={() =>
              teamId &&
              transfer.mutate(
                { id: conversation.id, teamId, ...(agentId ? { agentId } : {}), ...(note.trim() ? { note: note.trim() } : {}) },
                {
                  onSuccess: () => {
                    setNote('');
                    onClose();
                  },
                },
              )
            }
          >
            Transfer
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
