import { Badge, Button, Card, Group, Stack, Text } from '@mantine/core';
import type { Channel } from '../api/api-types.ts';
import { channelStatusWords } from './channel-status-words.ts';
import { useChannelEvents } from './use-channel-events.ts';
import { WhatsAppConnect } from './whatsapp-connect.tsx';

const KIND_LABELS: Record<string, string> = { sandbox: 'Sandbox', whatsapp: 'WhatsApp', webhook: 'Webhook' };

/** One channel: its name, kind and state in words; rename, settings and delete; a WhatsApp number's login. */
export function ChannelCard({
  channel,
  canManage,
  onRename,
  onSettings,
  onDelete,
}: {
  channel: Channel;
  canManage: boolean;
  onRename: () => void;
  onSettings: () => void;
  onDelete: () => void;
}) {
  const live = useChannelEvents(channel);
  const words = channelStatusWords({ kind: channel.kind, status: live.status, statusReason: live.statusReason });
  return (
    <Card component="li" withBorder padding="md" radius="md" aria-label={channel.name}>
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start" wrap="wrap" gap="sm">
          <Stack gap={2}>
            <Group gap="xs">
              <Text fw={700} size="lg">
                {channel.name}
              </Text>
              <Badge variant="outline" color="gray">
                {KIND_LABELS[channel.kind] ?? channel.kind}
              </Badge>
              <Badge color={words.color} variant="light" data-channel-status={live.status}>
                {words.label}
              </Badge>
            </Group>
            {channel.displayIdentifier && channel.kind !== 'sandbox' && (
              <Text size="sm" c="dimmed">
                {channel.kind === 'webhook' ? `Sends to ${channel.displayIdentifier}` : channel.displayIdentifier}
              </Text>
            )}
          </Stack>
          {canManage && (
            <Group gap={4}>
              <Button size="xs" variant="subtle" onClick={onRename} aria-label={`Rename ${channel.name}`}>
                Rename
              </Button>
              {channel.kind === 'whatsapp' && (
                <Button size="xs" variant="subtle" onClick={onSettings} aria-label={`Settings of ${channel.name}`}>
                  Settings
                </Button>
              )}
              <Button size="xs" variant="subtle" color="red" onClick={onDelete} aria-label={`Delete ${channel.name}`}>
                Delete
              </Button>
            </Group>
          )}
        </Group>
        {channel.kind === 'whatsapp' && canManage && <WhatsAppConnect channel={channel} live={live} />}
        {channel.kind === 'whatsapp' && !canManage && words.advice && (
          <Text size="sm" c="dimmed">
            {words.advice}
          </Text>
        )}
        {channel.kind === 'sandbox' && (
          <Text size="sm" c="dimmed">
            A pretend phone for trying flows: the flow editor's test chat writes to it.
          </Text>
        )}
      </Stack>
    </Card>
  );
}
