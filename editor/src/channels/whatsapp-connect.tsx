import { Alert, Button, Code, Group, Image, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { Channel } from '../api/api-types.ts';
import { channelKeys } from '../api/queries/channels.queries.ts';
import { useApiMutation } from '../api/use-api-mutation.ts';
import { channelStatusWords, PAIRING_PHONE_HINT } from './channel-status-words.ts';
import type { ChannelLiveState } from './use-channel-events.ts';

/** E.164: +, a country code that does not start with 0, 8 to 15 digits in all. Spaces, dashes and brackets are ignored. */
const E164 = /^\+[1-9]\d{7,14}$/;

/** The pairing phone as the API wants it, or an error in words. */
export function pairingPhoneOf(input: string): { phone: string | null; error: string | null } {
  const compact = input.replace(/[\s().-]/g, '');
  if (compact === '') return { phone: null, error: null };
  if (!E164.test(compact)) return { phone: null, error: `“${input}” is not a full international number. ${PAIRING_PHONE_HINT}.` };
  return { phone: compact, error: null };
}

/**
 * Logging a WhatsApp number in, in words: what is happening and what to do, the live QR to scan
 * (or the pairing code to type), a retry, and logout.
 */
export function WhatsAppConnect({ channel, live }: { channel: Channel; live: ChannelLiveState }) {
  const words = channelStatusWords({ kind: 'whatsapp', status: live.status, statusReason: live.statusReason });
  const [phoneError, setPhoneError] = useState<string | null>(null);
  const connect = useApiMutation(
    (api, pairingPhone: string | null) => api.post(`/channels/${channel.id}/connect`, pairingPhone ? { pairingPhone } : {}),
    { invalidates: [channelKeys.all], notifyError: false },
  );
  const logout = useApiMutation((api) => api.post(`/channels/${channel.id}/logout`), {
    invalidates: [channelKeys.all],
    success: 'The number is logged out from this server.',
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const { phone, error } = pairingPhoneOf(String(new FormData(event.currentTarget).get('pairingPhone') ?? ''));
    setPhoneError(error);
    if (!error) connect.mutate(phone);
  }

  const busy = live.status === 'connecting' || live.status === 'qr' || live.status === 'pairing';
  return (
    <Stack gap="sm">
      {words.advice && !live.qrImage && (
        <Alert
          color={words.color === 'green' ? 'green' : words.color === 'red' ? 'red' : words.color === 'yellow' ? 'yellow' : 'blue'}
          variant="light"
          title={words.label}
          role="status"
        >
          {words.advice}
        </Alert>
      )}
      {live.qrImage && (
        <Stack gap={4} align="flex-start">
          <Text fw={600}>Scan this code in WhatsApp → Linked devices</Text>
          <Text size="sm" c="dimmed">
            On the phone: WhatsApp → Settings → Linked devices → Link a device. The code changes every few seconds: scan the one shown.
          </Text>
          <Image src={live.qrImage} alt="QR code: in WhatsApp, open Linked devices and scan it" w={256} h={256} />
        </Stack>
      )}
      {live.pairingCode && (
        <Text>
          Pairing code: <Code fz="lg">{live.pairingCode}</Code> (in WhatsApp: Linked devices → Link with phone number instead)
        </Text>
      )}
      {live.status !== 'connected' && (
        <form onSubmit={submit} noValidate>
          <Group align="flex-start" gap="sm">
            <TextInput
              name="pairingPhone"
              label="Phone for a pairing code (optional)"
              description="Leave empty to scan a QR code instead."
              placeholder="+5511999998888"
              error={phoneError}
              w={320}
            />
            <Button type="submit" mt={46} loading={connect.isPending} disabled={busy}>
              {words.canRetry && live.statusReason !== 'not_connected' && live.statusReason !== null ? 'Connect again' : 'Connect'}
            </Button>
          </Group>
        </form>
      )}
      {connect.error && (
        <Alert color="red" variant="light" role="alert">
          {connect.error.message}
        </Alert>
      )}
      {(live.status === 'connected' || busy) && (
        <Group>
          <Button variant="default" onClick={() => logout.mutate()} loading={logout.isPending}>
            {live.status === 'connected' ? 'Log this number out' : 'Stop connecting'}
          </Button>
        </Group>
      )}
      {live.streamError && (
        <Alert color="yellow" variant="light" role="alert">
          {live.streamError}
        </Alert>
      )}
    </Stack>
  );
}
