import { Button, Group, Modal, NumberInput, Stack, Switch, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { DEFAULT_PACING, type PacingSettings } from '../../../engine/channels/whatsapp-settings.ts';
import type { Channel } from '../api/api-types.ts';
import { channelKeys } from '../api/queries/channels.queries.ts';
import { useApiMutation } from '../api/use-api-mutation.ts';

interface WhatsappSettingsForm {
  groupsEnabled: boolean;
  pauseBotOnOwnerMessage: boolean;
  pacing: PacingSettings;
}

function formOf(settings: Record<string, unknown>): WhatsappSettingsForm {
  return {
    groupsEnabled: settings.groupsEnabled === true,
    pauseBotOnOwnerMessage: settings.pauseBotOnOwnerMessage === true,
    pacing: { ...DEFAULT_PACING, ...(settings.pacing as Partial<PacingSettings> | undefined) },
  };
}

/** A WhatsApp number's settings: groups, the owner pause, and how fast it sends (PATCH /channels/:id/settings). */
export function ChannelSettingsModal({ channel, onClose }: { channel: Channel | null; onClose: () => void }) {
  return (
    <Modal opened={channel !== null} onClose={onClose} title={channel ? `Settings of “${channel.name}”` : ''} size="lg">
      {channel && <SettingsForm key={channel.id} channel={channel} onClose={onClose} />}
    </Modal>
  );
}

function SettingsForm({ channel, onClose }: { channel: Channel; onClose: () => void }) {
  const [form, setForm] = useState(() => formOf(channel.settings));
  const save = useApiMutation((api, body: WhatsappSettingsForm) => api.patch<Channel>(`/channels/${channel.id}/settings`, body), {
    invalidates: [channelKeys.all],
    success: 'Settings saved.',
    onSuccess: onClose,
  });
  const pace = (key: keyof PacingSettings, value: string | number) =>
    setForm((f) => ({ ...f, pacing: { ...f.pacing, [key]: typeof value === 'number' ? value : f.pacing[key] } }));

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(form);
      }}
    >
      <Stack gap="md">
        <Switch
          label="Answer group chats"
          description="Off: messages in WhatsApp groups are ignored by flows and the inbox."
          checked={form.groupsEnabled}
          onChange={(e) => setForm({ ...form, groupsEnabled: e.currentTarget.checked })}
        />
        <Switch
          label="Pause the bot when you write from the phone"
          description="When you answer a contact yourself in WhatsApp, automated messages to that conversation stop."
          checked={form.pauseBotOnOwnerMessage}
          onChange={(e) => setForm({ ...form, pauseBotOnOwnerMessage: e.currentTarget.checked })}
        />
        <Stack gap={4}>
          <Title order={3} size="h5">
            Sending pace
          </Title>
          <Text size="sm" c="dimmed">
            WhatsApp restricts numbers that send like a machine. These limits apply to every message this number sends, broadcasts included.
          </Text>
        </Stack>
        <Group grow align="flex-start">
          <NumberInput label="Per minute" min={1} max={1_000} value={form.pacing.perMinute} onChange={(v) => pace('perMinute', v)} />
          <NumberInput label="Per hour" min={1} max={50_000} value={form.pacing.perHour} onChange={(v) => pace('perHour', v)} />
          <NumberInput label="Per day" min={1} max={500_000} value={form.pacing.perDay} onChange={(v) => pace('perDay', v)} />
        </Group>
        <NumberInput
          label="Seconds between two messages, at least"
          min={0}
          max={600}
          decimalScale={1}
          value={form.pacing.minGapMs / 1000}
          onChange={(v) => typeof v === 'number' && setForm((f) => ({ ...f, pacing: { ...f.pacing, minGapMs: Math.round(v * 1000) } }))}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            Save settings
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
