import { Anchor, Badge, Box, Group, Image, Paper, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { MessageDetail } from '../api/api-types.ts';
import type { TimelineItem } from '../api/api-types.ts';
import { useFlowName } from '../api/queries/contacts.queries.ts';
import { MESSAGE_STATUS_WORDS, STATE_LABELS, timeOf } from './inbox-words.ts';

type MessageItem = Extract<TimelineItem, { kind: 'message' }>;

/** Who wrote an outbound message, in words. */
function senderWords(item: MessageItem, nameOf: (userId: string | null) => string): string {
  if (item.direction === 'inbound') return 'Contact';
  if (item.sender === 'agent') return item.authorUserId ? nameOf(item.authorUserId) : 'An agent';
  if (item.sender === 'bot') return 'Bot';
  if (item.sender === 'broadcast') return 'Broadcast';
  if (item.sender === 'owner') return 'From the phone';
  return item.sender;
}

/**
 * Whether a media address may be shown inline: the editor's content security policy loads
 * images and media from its own origin only (a contact's file on another host would be refused,
 * and would tell that host who is reading); others open in a new tab.
 */
export function isSameOrigin(url: string): boolean {
  try {
    return new URL(url, window.location.href).origin === window.location.origin;
  } catch {
    return false;
  }
}

/** What a media message shows: the picture (or player) when it is served by the product, else what kind of file it is with a link. */
function MediaPreview({ type, media }: { type: string; media: NonNullable<MessageItem['media']> }) {
  const link = media.url;
  const url = link && isSameOrigin(link) ? link : null;
  const { fileName, mimeType, caption } = media;
  const kind = { image: 'Photo', video: 'Video', audio: 'Voice message', document: 'Document', sticker: 'Sticker' }[type] ?? 'Attachment';
  return (
    <Box>
      {url && (type === 'image' || type === 'sticker') ? (
        <Anchor href={url} target="_blank" rel="noopener noreferrer">
          <Image src={url} alt={caption ?? kind} maw={240} mah={240} fit="contain" radius="sm" />
        </Anchor>
      ) : url && type === 'video' ? (
        <video src={url} controls style={{ maxWidth: 240, borderRadius: 4 }} aria-label={caption ?? kind} />
      ) : url && type === 'audio' ? (
        <audio src={url} controls aria-label={kind} />
      ) : url ? (
        <Group gap={6} wrap="nowrap">
          <span aria-hidden="true">📎</span>
          <Anchor size="sm" href={url} download={fileName ?? undefined}>
            {kind}
            {fileName ? `: ${fileName}` : ''}
          </Anchor>
          {media.sizeBytes !== null && (
            <Text size="xs" c="dimmed">
              {formatBytes(media.sizeBytes)}
            </Text>
          )}
        </Group>
      ) : (
        <Group gap={6} wrap="nowrap">
          <span aria-hidden="true">📎</span>
          <Text size="sm">
            {kind}
            {fileName ? `: ${fileName}` : ''}
            {mimeType ? ` (${mimeType})` : ''}
          </Text>
          <Text size="xs" c="dimmed">
            (not kept on this server)
          </Text>
        </Group>
      )}
      {caption && (
        <Text size="sm" mt={4}>
          {caption}
        </Text>
      )}
    </Box>
  );
}

/** A file size in words: "240 KB". */
function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A message: the contact's on the left, ours on the right, with media, the delivery status and the reactions on it. */
export function MessageBubble({
  item,
  detail,
  nameOf,
}: {
  item: MessageItem;
  detail: MessageDetail | undefined;
  nameOf: (userId: string | null) => string;
}) {
  const ours = item.direction === 'outbound';
  const reactions = item.reactions;
  const failed = item.status === 'failed';
  return (
    <Group justify={ours ? 'flex-end' : 'flex-start'} data-message-id={item.id} data-direction={item.direction}>
      <Box maw="78%">
        <Paper
          px="sm"
          py={6}
          radius="md"
          withBorder={!ours}
          bg={ours ? (item.sender === 'agent' ? 'var(--mantine-color-blue-light)' : 'var(--mantine-color-default-hover)') : undefined}
          aria-label={`${senderWords(item, nameOf)} at ${timeOf(item.at)}`}
        >
          {item.text === null && item.media === null ? (
            <Text size="sm" c="dimmed" fs="italic">
              {item.type === 'text' ? 'Deleted message' : `${item.type} message`}
            </Text>
          ) : (
            <>
              {item.media && <MediaPreview type={item.type} media={item.media} />}
              {item.text && (
                <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
                  {item.text}
                </Text>
              )}
            </>
          )}
        </Paper>
        <Group gap={6} mt={2} justify={ours ? 'flex-end' : 'flex-start'}>
          <Text size="xs" c="dimmed">
            {senderWords(item, nameOf)} · {timeOf(item.at)}
          </Text>
          {ours && (
            <Text size="xs" c={failed ? 'red.8' : 'dimmed'} data-status={item.status}>
              · {MESSAGE_STATUS_WORDS[item.status] ?? item.status}
              {failed && detail?.failureReason ? `: ${detail.failureReason}` : ''}
            </Text>
          )}
          {reactions.length > 0 && (
            <Group gap={2} aria-label={`Reactions: ${reactions.map((r) => r.emoji).join(' ')}`}>
              {reactions.map((r, i) => (
                <Badge
                  key={`${r.emoji}-${i}`}
                  size="sm"
                  variant="default"
                  radius="xl"
                  title={r.fromUs ? 'Reaction from this phone' : 'Reaction from the contact'}
                >
                  {r.emoji}
                </Badge>
              ))}
            </Group>
          )}
        </Group>
      </Box>
    </Group>
  );
}

/** An internal note: for the team only, never sent. */
export function NoteCard({ item, nameOf }: { item: Extract<TimelineItem, { kind: 'note' }>; nameOf: (userId: string | null) => string }) {
  return (
    <Paper
      px="sm"
      py={6}
      radius="md"
      bg="var(--mantine-color-yellow-light)"
      role="note"
      aria-label={`Note by ${nameOf(item.authorUserId)}`}
      data-note-id={item.id}
    >
      <Text size="xs" fw={600}>
        Note by {nameOf(item.authorUserId)} · {timeOf(item.at)} · not sent to the contact
      </Text>
      <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
        {item.text}
      </Text>
    </Paper>
  );
}

/** A state change, as one centred line: "Waiting → Assigned: taken by the agent · 10:02". */
export function EventLine({ item, nameOf }: { item: Extract<TimelineItem, { kind: 'event' }>; nameOf: (userId: string | null) => string }) {
  const to = STATE_LABELS[item.toState as keyof typeof STATE_LABELS] ?? item.toState;
  const owner = item.toAssigneeUserId && item.toAssigneeUserId !== item.fromAssigneeUserId ? ` to ${nameOf(item.toAssigneeUserId)}` : '';
  // The reason says what moved it ("taken by the agent", "handed off by a flow"); a person is named when they moved it for someone else.
  const by = item.actorUserId && item.actorUserId !== item.toAssigneeUserId ? ` · by ${nameOf(item.actorUserId)}` : '';
  return (
    <Text size="xs" c="dimmed" ta="center" data-event={item.toState}>
      {to}
      {owner}
      {item.reason.toLowerCase() === to.toLowerCase() ? '' : ` · ${item.reason}`}
      {by} · {timeOf(item.at)}
    </Text>
  );
}

/** A run of a flow on this conversation. */
export function RunLine({ item }: { item: Extract<TimelineItem, { kind: 'run' }> }) {
  const flowName = useFlowName(item.flowId).data;
  return (
    <Text size="xs" c="dimmed" ta="center">
      Flow{' '}
      <Anchor component={Link} to={`/flows/${item.flowId}`} size="xs">
        {flowName ?? 'run'}
      </Anchor>{' '}
      {item.status} · {timeOf(item.at)}
    </Text>
  );
}
