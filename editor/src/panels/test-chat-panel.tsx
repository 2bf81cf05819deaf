import { Alert, Anchor, Box, Button, Group, Paper, SegmentedControl, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { z } from 'zod';
import type { TestMessageAcceptedDto } from '../../../api/dto/test-chat.dto.ts';
import { ApiError } from '../api/api-client.ts';
import type { FlowDetail, FlowDocumentJson, Message } from '../api/api-types.ts';
import { channelKeys } from '../api/queries/channels.queries.ts';
import { conversationKeys, runQuery, useConversationMessages, useFlowRuns } from '../api/queries/flows.queries.ts';
import { useApiMutation } from '../api/use-api-mutation.ts';
import type { DraftSaver } from '../canvas/use-draft-saver.ts';
import { messageOf } from '../error-message.ts';
import { useSession } from '../session/session-context.tsx';
import { runPathOf, type RunPath } from './run-path.ts';

/** How often the chat asks for the run's progress while a message is being answered. */
const RUN_REFRESH_MS = 700;

type Target = 'draft' | 'published';

/** POST /flows/:id/test-chat/messages answers where the message went and what it tests. */
type TestMessageAnswer = z.infer<typeof TestMessageAcceptedDto>;

const contactKey = (flowId: string) => `onemessage.testContact.${flowId}`;

/** The test contact of this tab and flow (kept while testing, so that a flow waiting for a reply sees the same contact). */
function storedContact(flowId: string): { id: string; phone: string } | null {
  try {
    return JSON.parse(sessionStorage.getItem(contactKey(flowId)) ?? 'null') as { id: string; phone: string } | null;
  } catch {
    return null;
  }
}

/** What a refused test message means for the person testing, in words. */
function refusalOf(err: unknown): string {
  if (err instanceof ApiError && err.code === 'flow_invalid')
    return 'The draft has problems, so it cannot run yet: fix them (Problems tab), or test the published version.';
  if (err instanceof ApiError && err.code === 'flow_not_published') return 'This flow has no published version yet: test the draft.';
  return messageOf(err);
}

/**
 * Talks to THIS flow as a test contact, through the workspace's sandbox channel: the draft as it
 * is now (before publishing, like a preview), or the published version. Only this flow's
 * triggers are tried; a message that starts nothing says why. The test contact is marked as one:
 * it never counts in broadcast audiences or analytics. The path of the run that the last message
 * started or resumed is drawn on the canvas; each new message clears the previous one.
 */
export function TestChatPanel({
  flow,
  saver,
  onPath,
}: {
  flow: FlowDetail;
  document: () => FlowDocumentJson;
  saver: DraftSaver;
  onPath: (path: RunPath | null) => void;
}) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  const [target, setTarget] = useState<Target>('draft');
  const [contact, setContact] = useState(() => storedContact(flow.id));
  const [conversationId, setConversationId] = useState<string | null>(null);
  /** Messages sent here that the server's list does not show yet. */
  const [local, setLocal] = useState<Message[]>([]);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [noSandbox, setNoSandbox] = useState(false);
  const [testing, setTesting] = useState<string | null>(null);
  /** The last message sent: only a run it started or moved on is drawn. */
  const [lastSent, setLastSent] = useState<string | null>(null);
  const lastPathKey = useRef('');
  const log = useRef<HTMLDivElement>(null);

  const server = useConversationMessages(conversationId);
  const messages = useMemo(() => {
    const shown = server.data ?? [];
    const ids = new Set(shown.map((m) => m.id));
    return [...shown, ...local.filter((m) => !ids.has(m.id.slice('local-'.length)))];
  }, [server.data, local]);
  const sent = lastSent ? server.data?.find((m) => m.id === lastSent) : undefined;
  const runs = useFlowRuns(flow.id, { limit: 10, refetchInterval: RUN_REFRESH_MS, enabled: sent !== undefined });

  // The run this message started or resumed has moved since it arrived; an older run is not its path.
  useEffect(() => {
    if (!sent || !runs.data) return;
    const latest = runs.data.find((r) => r.conversationId === conversationId && r.updatedAt >= sent.createdAt);
    if (!latest) return;
    const key = `${latest.id}:${latest.stepCount}:${latest.status}`;
    if (key === lastPathKey.current) return;
    lastPathKey.current = key;
    void queryClient.fetchQuery({ ...runQuery(api, latest.id), staleTime: 0 }).then(
      (detail) => lastPathKey.current === key && onPath(runPathOf(detail)),
      () => (lastPathKey.current = ''),
    );
  }, [sent, runs.data, conversationId, api, queryClient, onPath]);

  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView({ block: 'nearest' });
  }, [messages.length]);

  const send = useApiMutation(
    async (client, typed: string) => {
      // The server runs the draft it has: the edits of the last moments are saved first.
      if (target === 'draft') await saver.flush();
      return client.post<TestMessageAnswer>(`/flows/${flow.id}/test-chat/messages`, {
        text: typed,
        target,
        ...(contact ? { contactId: contact.id } : {}),
        clientMessageId: crypto.randomUUID(),
      });
    },
    {
      notifyError: false,
      invalidates: (answer) => [conversationKeys.messages(answer.conversationId)],
      onSuccess: (answer, typed) => {
        const next = { id: answer.contactId, phone: answer.contactPhone };
        sessionStorage.setItem(contactKey(flow.id), JSON.stringify(next));
        setContact(next);
        setTesting(answer.testing);
        setLastSent(answer.messageId);
        setConversationId(answer.conversationId);
        setText('');
        setLocal((old) => [
          ...old,
          {
            id: `local-${answer.messageId}`,
            direction: 'inbound',
            sender: 'contact',
            text: typed,
            status: 'received',
            createdAt: new Date().toISOString(),
          },
        ]);
      },
    },
  );

  function submit(event: FormEvent) {
    event.preventDefault();
    const typed = text.trim();
    if (!typed || send.isPending) return;
    setError(null);
    // Each message starts a new path: the previous one is cleared at once, and no poll draws it again.
    setLastSent(null);
    onPath(null);
    lastPathKey.current = '';
    send.mutate(typed, {
      onError: (err) => {
        if (err instanceof ApiError && err.code === 'no_sandbox_channel') setNoSandbox(true);
        else if (err instanceof ApiError && err.code === 'not_found' && contact) {
          // The stored test contact is gone (another workspace, erased): the next message starts a new one.
          sessionStorage.removeItem(contactKey(flow.id));
          setContact(null);
          setError('The test contact was not found: send again to start with a new one.');
        } else setError(refusalOf(err));
      },
    });
  }

  const createSandbox = useApiMutation((client) => client.post('/channels', { kind: 'sandbox', name: 'Test chat' }), {
    invalidates: [channelKeys.all],
    success: 'Sandbox channel “Test chat” added.',
    onSuccess: () => setNoSandbox(false),
  });

  function restart() {
    sessionStorage.removeItem(contactKey(flow.id));
    setContact(null);
    setConversationId(null);
    setLocal([]);
    setTesting(null);
    setLastSent(null);
    lastPathKey.current = '';
    onPath(null);
  }

  return (
    <Stack component="section" aria-label="Test chat" gap="sm">
      <Title order={2} size="h4">
        Test chat
      </Title>
      <SegmentedControl
        aria-label="Which version to test"
        fullWidth
        size="xs"
        value={target}
        onChange={(value) => setTarget(value as Target)}
        data={[
          { value: 'draft', label: 'Draft (not published)' },
          {
            value: 'published',
            label: `Published${flow.publishedVersion !== null ? ` v${flow.publishedVersion}` : ''}`,
            disabled: flow.publishedVersion === null,
          },
        ]}
      />
      <Text size="sm" c="dimmed">
        {target === 'draft' ? 'Runs the draft as it is now, before you publish it. ' : 'Runs the version your contacts get. '}
        Only this flow answers here. {contact ? `You write as the test contact ${contact.phone}.` : 'You write as a new test contact.'} Test
        contacts never count in broadcasts or analytics.
      </Text>
      {noSandbox && (
        <Alert color="yellow" variant="light" title="The test chat needs a sandbox channel">
          <Button size="xs" onClick={() => createSandbox.mutate()} loading={createSandbox.isPending}>
            Create a sandbox channel
          </Button>
        </Alert>
      )}
      <Stack
        component="ol"
        ref={log}
        role="log"
        aria-live="polite"
        aria-label="Conversation"
        gap={6}
        m={0}
        p="xs"
        mih="10rem"
        mah="45vh"
        bg="var(--mantine-color-gray-0)"
        style={{ listStyle: 'none', overflowY: 'auto', borderRadius: 'var(--mantine-radius-sm)' }}
      >
        {messages.map((m) => {
          const mine = m.direction === 'inbound';
          return (
            <Stack component="li" key={m.id} gap={4} align={mine ? 'flex-end' : 'flex-start'}>
              <Paper
                px="sm"
                py={6}
                radius="lg"
                withBorder={!mine}
                bg={mine ? 'var(--mantine-color-teal-1)' : undefined}
                maw="85%"
                style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}
              >
                <Box component="span" className="visually-hidden">
                  {mine ? 'You: ' : 'Bot: '}
                </Box>
                {m.text ?? `(${m.status})`}
                {m.reactions?.length ? (
                  <span aria-label={`Reactions: ${m.reactions.map((r) => r.emoji).join(' ')}`}>
                    {' '}
                    {m.reactions.map((r) => r.emoji).join('')}
                  </span>
                ) : null}
              </Paper>
              {m.outcome?.explanation && (
                <Text
                  role="note"
                  size="xs"
                  c="orange.9"
                  bg="var(--mantine-color-yellow-0)"
                  px="xs"
                  py={4}
                  style={{ alignSelf: 'stretch', borderRadius: 'var(--mantine-radius-sm)' }}
                >
                  {m.outcome.explanation}
                </Text>
              )}
            </Stack>
          );
        })}
      </Stack>
      {testing && (
        <Text size="xs" c="dimmed">
          Last message ran the {testing}.
        </Text>
      )}
      {error && (
        <Alert color="red" variant="light" role="alert">
          {error}
        </Alert>
      )}
      <Group component="form" onSubmit={submit} gap="xs" wrap="nowrap" align="flex-start">
        <TextInput
          aria-label="Message as the test contact"
          placeholder="Type as the contact…"
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          style={{ flex: 1, minWidth: 0 }}
        />
        <Button type="submit" disabled={!text.trim()} loading={send.isPending}>
          Send
        </Button>
      </Group>
      <Anchor component="button" type="button" size="sm" onClick={restart} style={{ alignSelf: 'flex-start' }}>
        Start over as a new contact
      </Anchor>
    </Stack>
  );
}
