import { Button, Group, Modal, Select, Stack, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { Channel } from '../api/api-types.ts';
import { channelKeys } from '../api/queries/channels.queries.ts';
import { useApiMutation } from '../api/use-api-mutation.ts';

const KINDS = [
  { value: 'sandbox', label: 'Sandbox (test chat, no phone)' },
  { value: 'whatsapp', label: 'WhatsApp number' },
  { value: 'webhook', label: 'Webhook (any other service over HTTP)' },
];

/** Adding a channel: its kind, a name, and a webhook's outbound URL. */
export function AddChannelModal({
  opened,
  onClose,
  onCreated,
}: {
  opened: boolean;
  onClose: () => void;
  onCreated: (channel: Channel) => void;
}) {
  const [kind, setKind] = useState('sandbox');
  const add = useApiMutation((api, body: Record<string, string>) => api.post<Channel>('/channels', body), {
    invalidates: [channelKeys.all],
    success: (c) => `Added “${c.name}”.`,
    onSuccess: (created) => {
      onCreated(created);
      onClose();
    },
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const name = String(form.get('name') ?? '').trim();
    const url = String(form.get('url') ?? '').trim();
    add.mutate({ kind, name, ...(kind === 'webhook' ? { url } : {}) });
  }

  return (
    <Modal opened={opened} onClose={onClose} title="Add a channel">
      <form onSubmit={submit}>
        <Stack gap="md">
          <Select
            label="Kind"
            data={KINDS}
            value={kind}
            onChange={(v) => v && setKind(v)}
            allowDeselect={false}
            comboboxProps={{ withinPortal: false }}
          />
          <TextInput name="name" label="Name" required maxLength={100} placeholder="Support line" data-autofocus />
          {kind === 'webhook' && (
            <TextInput
              name="url"
              type="url"
              label="Outbound URL"
              description="Where OneMessage posts the messages flows send."
              required
              placeholder="https://example.com/onemessage"
            />
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={add.isPending}>
              Add channel
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
