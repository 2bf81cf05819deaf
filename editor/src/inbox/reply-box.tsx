import { Button, Group, Paper, SegmentedControl, Stack, Text, Textarea, UnstyledButton } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useRef, useState, type KeyboardEvent } from 'react';
import type { CannedRender, CannedResponse } from '../api/api-types.ts';
import { useCannedResponses } from '../api/queries/canned-responses.queries.ts';
import { useAddNote, useSendReply } from '../api/queries/inbox.queries.ts';
import { messageOf } from '../error-message.ts';
import { useSession } from '../session/session-context.tsx';
import { insertCanned, matchCanned, slashTokenAt, type SlashToken } from './canned-picker.ts';

type Mode = 'reply' | 'note';

/**
 * The reply box: a reply to the contact (through the outbox, at the channel's pace) or an
 * internal note. Typing `/` offers the quick replies; picking one puts its text (or its saved
 * template in the contact's language), with the contact's details filled in, where the
 * `/shortcut` was, to edit before sending. Ctrl+Enter (⌘+Enter) sends.
 */
export function ReplyBox({ conversationId, disabledReason }: { conversationId: string; disabledReason: string | null }) {
  const { api } = useSession();
  const [mode, setMode] = useState<Mode>('reply');
  const [text, setText] = useState('');
  const [token, setToken] = useState<SlashToken | null>(null);
  const [active, setActive] = useState(0);
  const textarea = useRef<HTMLTextAreaElement>(null);
  // One id per message being written: a retried click of Send does not send it twice.
  const clientId = useRef(crypto.randomUUID());
  const canned = useCannedResponses(mode === 'reply').data?.items ?? [];
  const send = useSendReply();
  const note = useAddNote();
  const matches = token && mode === 'reply' ? matchCanned(canned, token.query) : [];
  const busy = send.isPending || note.isPending;
  const blocked = mode === 'reply' && disabledReason !== null;

  function track(value: string, caret: number) {
    setText(value);
    const next = slashTokenAt(value, caret);
    setToken(next);
    if (next?.query !== token?.query) setActive(0);
  }

  async function pick(item: CannedResponse) {
    if (!token) return;
    try {
      const filled = await api.post<CannedRender>(`/canned-responses/${item.id}/render`, { conversationId });
      const next = insertCanned(text, token, filled.text);
      if (filled.mediaUrl)
        notifications.show({
          color: 'yellow',
          title: `The template's media is not attached`,
          message: `Replies from the inbox are text only; send the link if the contact needs it: ${filled.mediaUrl}`,
        });
      setText(next.text);
      setToken(null);
      requestAnimationFrame(() => {
        textarea.current?.focus();
        textarea.current?.setSelectionRange(next.caret, next.caret);
      });
    } catch (err) {
      notifications.show({ color: 'red', title: 'The quick reply could not be filled in', message: messageOf(err) });
    }
  }

  function submit() {
    const body = text.trim();
    if (!body || busy || blocked) return;
    const done = () => {
      setText('');
      setToken(null);
      clientId.current = crypto.randomUUID();
    };
    if (mode === 'note') note.mutate({ id: conversationId, text: body }, { onSuccess: done });
    else send.mutate({ id: conversationId, text: body, clientMessageId: clientId.current }, { onSuccess: done });
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (matches.length > 0) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        setActive((i) => (i + (event.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length);
        return;
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        event.preventDefault();
        void pick(matches[Math.min(active, matches.length - 1)]!);
        return;
      }
      if (event.key === 'Escape') {
        event.preventDefault();
        setToken(null);
        return;
      }
    }
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submit();
    }
  }

  return (
    <Stack gap={6} pos="relative">
      {matches.length > 0 && (
        <Paper
          withBorder
          shadow="md"
          p={4}
          pos="absolute"
          bottom="100%"
          left={0}
          right={0}
          mb={4}
          style={{ zIndex: 5 }}
          role="listbox"
          aria-label="Quick replies"
        >
          {matches.map((m, i) => (
            <UnstyledButton
              key={m.id}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => void pick(m)}
              w="100%"
              px="xs"
              py={4}
              style={{ borderRadius: 4, background: i === active ? 'var(--mantine-color-blue-light)' : undefined }}
            >
              <Text size="sm" fw={600} span>
                /{m.shortcut}
              </Text>{' '}
              <Text size="sm" span>
                {m.title}
              </Text>
              <Text size="xs" c="dimmed" truncate>
                {m.template ? `Template “${m.template.name}”, in the contact's language` : m.text}
              </Text>
            </UnstyledButton>
          ))}
        </Paper>
      )}
      <Group justify="space-between" gap="xs">
        <SegmentedControl
          size="xs"
          value={mode}
          onChange={(v) => setMode(v as Mode)}
          data={[
            { value: 'reply', label: 'Reply' },
            { value: 'note', label: 'Internal note' },
          ]}
          aria-label="Write a reply or a note"
        />
        <Text size="xs" c="dimmed">
          {mode === 'reply'
            ? canned.length > 0
              ? 'Type / for quick replies · Ctrl+Enter sends'
              : 'Ctrl+Enter sends'
            : 'Seen by your team only, never sent to the contact'}
        </Text>
      </Group>
      <Textarea
        ref={textarea}
        aria-label={mode === 'reply' ? 'Reply to the contact' : 'Internal note'}
        placeholder={blocked ? disabledReason! : mode === 'reply' ? 'Write a reply…' : 'Write a note for your team…'}
        autosize
        minRows={2}
        maxRows={8}
        value={text}
        disabled={blocked}
        onChange={(e) => track(e.currentTarget.value, e.currentTarget.selectionStart)}
        onKeyDown={onKeyDown}
        onBlur={() => setToken(null)}
        styles={mode === 'note' ? { input: { background: 'var(--mantine-color-yellow-light)' } } : undefined}
      />
      <Group justify="flex-end">
        <Button size="xs" onClick={submit} loading={busy} disabled={!text.trim() || blocked}>
          {mode === 'reply' ? 'Send' : 'Add note'}
        </Button>
      </Group>
    </Stack>
  );
}
