import { Badge, Box, Center, Drawer, Group, Paper, ScrollArea, Select, Stack, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue, useDisclosure, useInterval, useMediaQuery } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useCallback, useEffect, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import type { Conversation, ConversationListItem, InboxStreamEvent } from '../api/api-types.ts';
import { useConversations, type ConversationFilter } from '../api/queries/inbox.queries.ts';
import { QueryError } from '../api/query-state.tsx';
import { ContactCard } from '../inbox/contact-card.tsx';
import { ConversationList } from '../inbox/conversation-list.tsx';
import { ConversationView } from '../inbox/conversation-view.tsx';
import { useInboxEvents, type LiveStatus } from '../inbox/inbox-events.ts';
import { useViewer } from '../inbox/use-viewer.ts';

export type InboxTab = 'mine' | 'queue' | 'unassigned' | 'all';

interface TabSpec {
  tab: InboxTab;
  label: string;
  filter: ConversationFilter;
  /** States a tab leaves out of the API's answer (a list filter takes one state only). */
  hide?: readonly string[];
  empty: string;
}

/** The tabs a person sees: everyone works Mine, Team queue and Unassigned; those who see every conversation get All. */
export function inboxTabs(seesAll: boolean): TabSpec[] {
  const tabs: TabSpec[] = [
    {
      tab: 'mine',
      label: 'Mine',
      filter: { assignee: 'me' },
      hide: ['resolved', 'bot'],
      empty: 'Nothing assigned to you. Take one from the team queue.',
    },
    {
      tab: 'queue',
      label: 'Team queue',
      filter: { state: 'queued' },
      empty: 'Nobody is waiting. New hand-offs appear here as they arrive.',
    },
    {
      tab: 'unassigned',
      label: 'Unassigned',
      filter: { assignee: 'none' },
      hide: ['resolved'],
      empty: 'Every open conversation has an agent or the bot.',
    },
  ];
  if (seesAll) tabs.push({ tab: 'all', label: 'All', filter: {}, empty: 'No conversations match.' });
  return tabs;
}

/** The states offered as a filter on the All tab. */
const STATE_FILTER = [
  { value: '', label: 'Any state' },
  { value: 'queued', label: 'Waiting' },
  { value: 'assigned', label: 'Assigned' },
  { value: 'snoozed', label: 'Snoozed' },
  { value: 'bot', label: 'Bot' },
  { value: 'resolved', label: 'Resolved' },
];

const NOW_TICK_MS = 30_000;
/** The list's width beside the conversation: wide enough for the four tabs with their counts on one line. */
const LIST_WIDTH_PX = { wide: 360, medium: 320 };

function visible(items: ConversationListItem[] | undefined, spec: TabSpec): ConversationListItem[] {
  return (items ?? []).filter((c) => !spec.hide?.includes(c.state));
}

/**
 * The support inbox: tabs of conversations on the left (with unread counts and search), the
 * open conversation in the middle, the contact on the right. Live: the agent's event stream
 * refreshes what changed, and keeps the agent present while the page is open.
 */
export function InboxPage({ conversationId }: { conversationId?: string }) {
  const viewer = useViewer();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const tabs = inboxTabs(viewer.seesAll);
  const tab = (tabs.find((t) => t.tab === params.get('tab'))?.tab ?? (viewer.supervisor ? 'queue' : 'mine')) as InboxTab;
  const [search, setSearch] = useState(params.get('q') ?? '');
  const [q] = useDebouncedValue(search.trim(), 300);
  const [teamId, setTeamId] = useState<string | null>(null);
  const [state, setState] = useState('');
  const [now, setNow] = useState(() => Date.now());
  useInterval(() => setNow(Date.now()), NOW_TICK_MS, { autoInvoke: true });
  const wide = useMediaQuery('(min-width: 80em)') ?? true;
  const medium = useMediaQuery('(min-width: 60em)') ?? true;
  const [contactOpen, contactDrawer] = useDisclosure(false);

  const onEvent = useCallback(
    (event: InboxStreamEvent) => {
      if (event.type !== 'conversation') return;
      if (
        event.toState === 'assigned' &&
        event.toAssigneeUserId === viewer.myUserId &&
        event.fromAssigneeUserId !== viewer.myUserId &&
        event.reason !== 'taken by the agent'
      )
        notifications.show({ color: 'blue', title: 'A conversation is yours', message: event.reason });
      else if (event.toState === 'queued' && event.fromState !== 'queued')
        notifications.show({ color: 'orange', title: 'A contact is waiting', message: event.reason });
    },
    [viewer.myUserId],
  );
  const live = useInboxEvents(viewer.ready, onEvent);

  useEffect(() => {
    const next = new URLSearchParams(params);
    if (q) next.set('q', q);
    else next.delete('q');
    if (next.toString() !== params.toString()) setParams(next, { replace: true });
  }, [q, params, setParams]);

  // Every tab's list, for its unread count; the shown one with the search, the team and the state.
  const lists = tabs.map((spec) => {
    const shown = spec.tab === tab;
    const filter: ConversationFilter = {
      ...spec.filter,
      ...(shown && q ? { q } : {}),
      ...(shown && teamId && spec.tab !== 'mine' ? { teamId } : {}),
      ...(shown && spec.tab === 'all' && state ? { state } : {}),
    };
    return { spec, filter };
  });
  const queries = [
    useConversations(lists[0]!.filter),
    useConversations(lists[1]!.filter),
    useConversations(lists[2]!.filter),
    useConversations(lists[3]?.filter ?? {}, lists.length > 3),
  ];
  const current = lists.findIndex((l) => l.spec.tab === tab);
  const currentQuery = queries[current]!;
  const items = visible(currentQuery.data?.items, lists[current]!.spec);

  const open = (id: string) => void navigate({ pathname: `/inbox/${id}`, search: params.toString() ? `?${params.toString()}` : '' });
  const back = () => void navigate({ pathname: '/inbox', search: params.toString() ? `?${params.toString()}` : '' });
  const selectTab = (value: string | null) => {
    const next = new URLSearchParams(params);
    next.set('tab', value ?? 'mine');
    setParams(next);
  };

  const listPane = (
    <Paper
      withBorder
      radius="md"
      h="100%"
      style={{ display: 'flex', flexDirection: 'column', overflow: 'hidden' }}
      w={medium ? LIST_WIDTH_PX[wide ? 'wide' : 'medium'] : '100%'}
      miw={medium ? LIST_WIDTH_PX[wide ? 'wide' : 'medium'] : undefined}
    >
      <Stack gap="xs" p="xs">
        <Group justify="space-between" gap="xs">
          <Title order={1} size="h3">
            Inbox
          </Title>
          <LiveBadge status={live} />
        </Group>
        <TextInput
          aria-label="Search conversations"
          placeholder="Search name, phone or message"
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          size="xs"
        />
        <Tabs value={tab} onChange={selectTab} variant="pills">
          <Tabs.List>
            {lists.map((l, i) => {
              const shown = visible(queries[i]!.data?.items, l.spec);
              const unread = shown.filter((c) => c.unreadCount > 0 && c.id !== conversationId).length;
              // Unread first (red); else how many the tab holds, for the queues a person works.
              const count =
                unread > 0 ? (
                  <Badge size="xs" circle={unread < 10} color="red" aria-label={`${unread} unread`}>
                    {unread}
                  </Badge>
                ) : shown.length > 0 && l.spec.tab !== 'all' ? (
                  <Badge size="xs" circle={shown.length < 10} color="gray" variant="light" aria-label={`${shown.length} conversations`}>
                    {shown.length}
                  </Badge>
                ) : undefined;
              return (
                <Tabs.Tab key={l.spec.tab} value={l.spec.tab} px={6} py={4} fz="xs" rightSection={count}>
                  {l.spec.label}
                </Tabs.Tab>
              );
            })}
          </Tabs.List>
        </Tabs>
        {tab !== 'mine' && viewer.teams.length > 0 && (
          <Group gap="xs" grow>
            <Select
              size="xs"
              aria-label="Team"
              placeholder="All teams"
              clearable
              data={viewer.teams.map((t) => ({ value: t.id, label: t.name }))}
              value={teamId}
              onChange={setTeamId}
            />
            {tab === 'all' && (
              <Select
                size="xs"
                aria-label="State"
                data={STATE_FILTER}
                value={state}
                onChange={(v) => setState(v ?? '')}
                allowDeselect={false}
              />
            )}
          </Group>
        )}
      </Stack>
      <ScrollArea style={{ flex: 1 }} type="auto">
        {currentQuery.isError ? (
          <Box p="xs">
            <QueryError error={currentQuery.error} onRetry={() => void currentQuery.refetch()} />
          </Box>
        ) : currentQuery.isPending ? (
          <Text c="dimmed" size="sm" p="md">
            Loading…
          </Text>
        ) : (
          <ConversationList
            items={items}
            selectedId={conversationId ?? null}
            onSelect={open}
            teams={new Map(viewer.teams.map((t) => [t.id, t]))}
            now={now}
            emptyText={q ? `No conversation matches “${q}”.` : lists[current]!.spec.empty}
            myUserId={viewer.myUserId}
          />
        )}
      </ScrollArea>
    </Paper>
  );

  const aside = (c: Conversation, timeline: Parameters<typeof ContactCard>[0]['timeline']) =>
    wide ? (
      <Paper withBorder radius="md" p="sm" w={280} miw={280} style={{ overflowY: 'auto' }}>
        <ContactCard conversation={c} timeline={timeline} onOpen={open} />
      </Paper>
    ) : (
      <Drawer opened={contactOpen} onClose={contactDrawer.close} position="right" title="Contact">
        <ContactCard conversation={c} timeline={timeline} onOpen={open} />
      </Drawer>
    );

  const conversationPane = conversationId ? (
    <Box h="100%" style={{ flex: 1, minWidth: 0 }}>
      <ConversationView
        key={conversationId}
        conversationId={conversationId}
        viewer={viewer}
        onBack={medium ? undefined : back}
        onContact={wide ? undefined : contactDrawer.open}
        aside={aside}
      />
    </Box>
  ) : (
    <Paper withBorder radius="md" h="100%" style={{ flex: 1 }}>
      <Center h="100%">
        <Text c="dimmed">Pick a conversation on the left.</Text>
      </Center>
    </Paper>
  );

  return (
    <Group align="stretch" gap="md" wrap="nowrap" h="calc(100dvh - 56px - 2 * var(--mantine-spacing-lg))" mih={480}>
      {medium ? (
        <>
          {listPane}
          {conversationPane}
        </>
      ) : conversationId ? (
        conversationPane
      ) : (
        listPane
      )}
    </Group>
  );
}

function LiveBadge({ status }: { status: LiveStatus }) {
  const words = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…' }[status];
  return (
    <Badge
      size="sm"
      variant="dot"
      color={status === 'live' ? 'green' : 'orange'}
      data-live={status}
      title={status === 'live' ? 'New conversations and messages appear as they arrive' : 'The live connection is down: trying again'}
    >
      {words}
    </Badge>
  );
}
