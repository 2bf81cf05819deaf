import { Alert, Button, Code, CopyButton, Group, Modal, Stack, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { Channel, MeAnswer } from '../api/api-types.ts';
import { channelKeys, useChannels } from '../api/queries/channels.queries.ts';
import { useMe } from '../api/queries/session.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { useApiMutation } from '../api/use-api-mutation.ts';
import { AddChannelModal } from '../channels/add-channel-modal.tsx';
import { ChannelCard } from '../channels/channel-card.tsx';
import { ChannelSettingsModal } from '../channels/channel-settings-modal.tsx';
import { can } from '../../../engine/tenancy/role.ts';
import { confirmAction } from '../shell/confirm.tsx';
import { EmptyState, PageHeader } from '../shell/page-header.tsx';

/** What deleting a channel does, said before it is done (DELETE /channels/:id). */
export function deleteChannelMessage(channel: Channel): string {
  const whatsapp =
    channel.kind === 'whatsapp' ? ' The WhatsApp number is logged out of this server (its link on the phone is removed).' : '';
  return `Nothing more is sent or received through it: flows and broadcasts that use it stop reaching contacts there.${whatsapp} Its past conversations and messages are kept, read-only, until the workspace's retention period deletes them.`;
}

/** The workspace's channels: add, rename, configure, delete, and log WhatsApp numbers in. */
export function ChannelsPage() {
  const channels = useChannels();
  const me = useMe().data;
  const canManage = me ? can(me.role as MeAnswer['role'], 'channels.manage') : false;
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState<{ channel: string; value: string } | null>(null);
  const [renaming, setRenaming] = useState<Channel | null>(null);
  const [configuring, setConfiguring] = useState<Channel | null>(null);
  const remove = useApiMutation((api, channel: Channel) => api.delete(`/channels/${channel.id}`), {
    invalidates: [channelKeys.all],
    success: (_r, c) => `Deleted “${c.name}”.`,
  });

  function created(channel: Channel) {
    // The webhook's signing secret is in this answer only: shown until dismissed, never stored.
    if (channel.webhookSecret) setSecret({ channel: channel.name, value: channel.webhookSecret });
  }

  async function confirmDelete(channel: Channel) {
    if (await confirmAction({ title: `Delete “${channel.name}”?`, message: deleteChannelMessage(channel), confirmLabel: 'Delete channel' }))
      remove.mutate(channel);
  }

  return (
    <>
      <PageHeader
        title="Channels"
        description="Where your contacts write to you: WhatsApp numbers, other services over a webhook, and sandboxes for testing."
        actions={canManage && <Button onClick={() => setAdding(true)}>Add channel</Button>}
      />
      {secret && (
        <Alert
          color="blue"
          variant="light"
          mb="md"
          title={`Signing secret of “${secret.channel}” (shown once, copy it now)`}
          withCloseButton
          onClose={() => setSecret(null)}
          closeButtonLabel="Done"
        >
          <Group gap="sm">
            <Code>{secret.value}</Code>
            <CopyButton value={secret.value}>
              {({ copied, copy }) => (
                <Button size="xs" variant="default" onClick={copy}>
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              )}
            </CopyButton>
          </Group>
        </Alert>
      )}
      <QueryState query={channels} label="channels">
        {(items) =>
          items.length === 0 ? (
            <EmptyState title="No channels yet">
              Add a WhatsApp number to talk to your contacts, or a sandbox to try your flows first.
            </EmptyState>
          ) : (
            <Stack component="ul" gap="md" p={0} m={0} style={{ listStyle: 'none' }}>
              {items.map((c) => (
                <ChannelCard
                  key={c.id}
                  channel={c}
                  canManage={canManage}
                  onRename={() => setRenaming(c)}
                  onSettings={() => setConfiguring(c)}
                  onDelete={() => void confirmDelete(c)}
                />
              ))}
            </Stack>
          )
        }
      </QueryState>
      <AddChannelModal opened={adding} onClose={() => setAdding(false)} onCreated={created} />
      <RenameChannelModal channel={renaming} onClose={() => setRenaming(null)} />
      <ChannelSettingsModal channel={configuring} onClose={() => setConfiguring(null)} />
    </>
  );
}

function RenameChannelModal({ channel, onClose }: { channel: Channel | null; onClose: () => void }) {
  const rename = useApiMutation((api, { id, name }: { id: string; name: string }) => api.patch(`/channels/${id}`, { name }), {
    invalidates: [channelKeys.all],
    success: 'Channel renamed.',
    onSuccess: onClose,
  });
  return (
    <Modal opened={channel !== null} onClose={onClose} title={channel ? `Rename “${channel.name}”` : ''}>
      {channel && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const name = String(new FormData(e.currentTarget).get('name') ?? '').trim();
            if (name) rename.mutate({ id: channel.id, name });
          }}
        >
          <TextInput name="name" label="New name" defaultValue={channel.name} required maxLength={100} data-autofocus />
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
