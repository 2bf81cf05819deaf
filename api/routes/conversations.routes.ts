import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { CONVERSATION_STATES } from '../../engine/conversations/conversation-state.ts';
import { CONVERSATION_STATUSES } from '../../engine/conversations/conversation-status.ts';
import { ForbiddenError, NotFoundError } from '../../engine/errors/app-error.ts';
import { MAX_TEXT_CHARS, StoredMediaSchema } from '../../engine/messages/message-content.ts';
import { CAPABILITIES, can } from '../../engine/tenancy/role.ts';
import { ConversationSchema, type Conversation } from '../../platform/db/entities/conversation.entity.ts';
import { MessageSchema } from '../../platform/db/entities/message.entity.ts';
import { newId } from '../../platform/ids.ts';
import { IdRow, runSql } from '../../platform/pipeline/run-sql.ts';
import { ConversationDto, toConversationDto } from '../dto/conversation.dto.ts';
import { privacyFilesOf } from '../../connectors/retention/privacy-files.ts';
import { ConversationListItemDto, ConversationNoteDto, ReadMarkerDto, TimelineItemDto } from '../dto/inbox.dto.ts';
import { MessageDto, SentMessageDto, toMessageDto } from '../dto/message.dto.ts';
import { decodeCursor, page, PageQuery } from '../pagination.ts';
import { PageDto } from '../dto/page.dto.ts';
import { defineRoute, type AuthContext } from '../route.ts';
import { findVisibleConversation, inboxActorOf, personOf, seesAll, VISIBLE_TO_AGENT_SQL } from './conversation-access.ts';

const IdParams = z.object({ id: z.uuid() });

const findConversation = (em: EntityManager, auth: AuthContext, id: string): Promise<Conversation> => findVisibleConversation(em, auth, id);

/** The conversation as it is now (after a move), for the answer. */
async function reload(em: EntityManager, auth: AuthContext, id: string): Promise<z.infer<typeof ConversationDto>> {
  const fresh = await em.fork().findOneOrFail(ConversationSchema, { id, workspaceId: auth.workspaceId });
  return toConversationDto(fresh);
}

/** An agent moves only the conversations they own (or that wait in a queue they see); a supervisor moves any. */
function requireOwnerOrSupervisor(auth: AuthContext, conversation: Conversation): void {
  if (can(auth.role, 'inbox.supervise')) return;
  if (conversation.state === 'assigned' || conversation.state === 'snoozed') {
    if (conversation.assigneeUserId && conversation.assigneeUserId !== auth.userId)
      throw new ForbiddenError(CAPABILITIES['inbox.supervise']);
  }
}

/** Escapes LIKE wildcards so that a search for "50%" finds "50%". */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const ListQuery = PageQuery.extend({
  channelId: z.uuid().optional(),
  status: z.enum(CONVERSATION_STATUSES).optional(),
  state: z.enum(CONVERSATION_STATES).optional(),
  contactId: z.uuid().optional(),
  /** `me`, `none` (nobody has it) or a member's user id. */
  assignee: z.union([z.literal('me'), z.literal('none'), z.uuid()]).optional(),
  teamId: z.uuid().optional(),
  /** Searches the contact's name and phone and the conversation's message text. */
  q: z.string().trim().min(1).max(200).optional(),
  /**
   * `recent`: latest activity first; `waiting`: conversations that wait for a person, longest
   * waiting first (by the time they entered the queue). The queue (`state=queued`) is served
   * `waiting` unless asked otherwise.
   */
  order: z.enum(['recent', 'waiting']).optional(),
});

/** The longest excerpt of the last message a list item carries. */
const EXCERPT_CHARS = 140;
/** Unread messages are counted up to this (the list shows "99+"). */
const MAX_UNREAD_COUNTED = 99;
const NO_MESSAGE_ID = '00000000-0000-0000-0000-000000000000';

/** A conversation of the list: its contact, its last message (all null when it has none) and the caller's unread count. */
const ListRow = z.object({
  id: z.string(),
  contactName: z.string().nullable(),
  contactPhone: z.string().nullable(),
  lastExcerpt: z.string().nullable(),
  lastType: z.string().nullable(),
  lastDirection: z.enum(['inbound', 'outbound']).nullable(),
  lastSender: z.string().nullable(),
  lastAuthorUserId: z.string().nullable(),
  lastAt: z.date().nullable(),
  unreadCount: z.number(),
});
type ListRow = z.infer<typeof ListRow>;

/*
 * The page of conversations first (filters, order, limit), then for that page only: the contact,
 * the last message (messages_conversation: the newest id of the conversation) and the messages
 * from the contact after the caller's read position (conversation_reads), counted up to 99.
 */
const LIST_SQL = (order: 'recent' | 'waiting') => `
with page as (
  select c.id, c.contact_id, c.last_message_at, c.queued_at from conversations c
   where c.workspace_id = :workspaceId
     and (cast(:channelId as uuid) is null or c.channel_id = cast(:channelId as uuid))
     and (cast(:contactId as uuid) is null or c.contact_id = cast(:contactId as uuid))
     and (cast(:status as text) is null or c.status = cast(:status as text))
     and (cast(:state as text) is null or c.state = cast(:state as text))
     and (cast(:teamId as uuid) is null or c.team_id = cast(:teamId as uuid))
     and (cast(:assignee as text) is null or (cast(:assignee as text) = 'none' and c.assignee_user_id is null)
          or (cast(:assignee as text) <> 'none' and c.assignee_user_id = cast(nullif(cast(:assignee as text), 'none') as uuid)))
     and (cast(:seesAll as boolean) or ${VISIBLE_TO_AGENT_SQL})
     and (cast(:q as text) is null
          or exists (select 1 from contacts ct where ct.id = c.contact_id and (ct.name ilike cast(:q as text) or ct.phone ilike cast(:q as text)))
          or exists (select 1 from messages m where m.conversation_id = c.id and m.text ilike cast(:q as text)))
     ${
       order === 'waiting'
         ? `and c.queued_at is not null and c.state in ('queued', 'assigned', 'snoozed')
     and (cast(:cursorAt as timestamptz) is null or (c.queued_at, c.id) > (cast(:cursorAt as timestamptz), cast(:cursorId as uuid)))
   order by c.queued_at, c.id`
         : `and (cast(:cursorAt as timestamptz) is null or (c.last_message_at, c.id) < (cast(:cursorAt as timestamptz), cast(:cursorId as uuid)))
   order by c.last_message_at desc, c.id desc`
     }
   limit :limit
)
select page.id, ct.name as "contactName", ct.phone as "contactPhone",
       lm.excerpt as "lastExcerpt", lm.type as "lastType", lm.direction as "lastDirection", lm.sender as "lastSender", lm.author_user_id as "lastAuthorUserId", lm.created_at as "lastAt",
       (select count(*)::int from (
          select 1 from messages m
           where m.conversation_id = page.id and m.direction = 'inbound'
             and m.id > coalesce((select r.last_read_message_id from conversation_reads r where r.conversation_id = page.id and r.user_id = cast(:viewerId as uuid)), cast(:noMessage as uuid))
           limit :maxUnread) u) as "unreadCount"
  from page
  join contacts ct on ct.id = page.contact_id
  left join lateral (
    select left(case when m.deleted_at is null then coalesce(m.text, m.media->>'caption') end, :excerptChars) as excerpt, m.type, m.direction, m.sender, m.author_user_id, m.created_at
      from messages m where m.conversation_id = page.id order by m.id desc limit 1
  ) lm on true
 order by ${order === 'waiting' ? 'page.queued_at, page.id' : 'page.last_message_at desc, page.id desc'}`;

export const conversationRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/conversations',
    summary:
      'Conversations with their contact, last message and your unread count; latest activity first, or longest waiting first (order=waiting, the default for state=queued). Filter by channel, status, inbox state, assignee (me, none or a user id), team, and search contact name/phone and message text (q)',
    tag: 'conversations',
    auth: 'conversations.read',
    query: ListQuery,
    response: PageDto(ConversationListItemDto),
    async handler({ em, auth, query }) {
      const cursor = decodeCursor(query.cursor);
      const order = query.order ?? (query.state === 'queued' ? 'waiting' : 'recent');
      const assignee = query.assignee === 'me' ? (auth.userId ?? NO_MESSAGE_ID) : query.assignee;
      const { rows } = await runSql(
        em,
        LIST_SQL(order),
        {
          workspaceId: auth.workspaceId,
          channelId: query.channelId ?? null,
          contactId: query.contactId ?? null,
          status: query.status ?? null,
          state: query.state ?? null,
          teamId: query.teamId ?? null,
          assignee: assignee ?? null,
          seesAll: seesAll(auth),
          viewerId: auth.userId,
          q: query.q ? likePattern(query.q) : null,
          cursorAt: cursor ? new Date(cursor.at) : null,
          cursorId: cursor?.id ?? null,
          limit: query.limit + 1,
          noMessage: NO_MESSAGE_ID,
          maxUnread: MAX_UNREAD_COUNTED,
          excerptChars: EXCERPT_CHARS,
        },
        { row: ListRow, planEachCall: true },
      );
      const found = await em.find(ConversationSchema, { id: { $in: rows.map((r) => r.id) }, workspaceId: auth.workspaceId });
      const byId = new Map(found.map((c) => [c.id, c]));
      const ordered = rows.flatMap((r) => {
        const c = byId.get(r.id);
        return c ? [{ c, r }] : [];
      });
      const result = page(ordered, query.limit, ({ c }) => ({
        at: (order === 'waiting' ? (c.queuedAt ?? c.lastMessageAt) : c.lastMessageAt).toISOString(),
        id: c.id,
      }));
      return { items: result.items.map(({ c, r }) => toListItem(c, r)), nextCursor: result.nextCursor };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/conversations/:id',
    summary: 'One conversation',
    tag: 'conversations',
    auth: 'conversations.read',
    params: IdParams,
    response: ConversationDto,
    async handler({ em, auth, params }) {
      return toConversationDto(await findConversation(em, auth, params.id));
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/conversations/:id/messages',
    summary: "A conversation's messages, oldest first; pass nextCursor for the next page",
    tag: 'conversations',
    auth: 'conversations.read',
    params: IdParams,
    query: PageQuery,
    response: PageDto(MessageDto),
    async handler({ em, auth, params, query }) {
      const conversation = await findConversation(em, auth, params.id);
      const cursor = decodeCursor(query.cursor);
      // Message ids are UUIDv7, so id order is arrival order.
      const rows = await em.find(
        MessageSchema,
        { conversationId: conversation.id, workspaceId: auth.workspaceId, ...(cursor ? { id: { $gt: cursor.id } } : {}) },
        { orderBy: { id: 'asc' }, limit: query.limit + 1 },
      );
      const result = page(rows, query.limit, (m) => ({ at: m.createdAt.toISOString(), id: m.id }));
      return { items: result.items.map(toMessageDto), nextCursor: result.nextCursor };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/conversations/:id/messages',
    summary: 'Send a text message into a conversation as the calling agent',
    tag: 'conversations',
    auth: 'conversations.reply',
    status: 202,
    params: IdParams,
    body: z.object({
      text: z.string().min(1).max(MAX_TEXT_CHARS),
      /** A client-chosen key: retrying with the same key never sends twice. */
      clientMessageId: z.string().min(1).max(100).optional(),
    }),
    response: SentMessageDto,
    exampleBody: { text: 'Hello from the team', clientMessageId: 'reply-1' },
    async handler({ deps, em, auth, params, body }) {
      const conversation = await findConversation(em, auth, params.id);
      const sent = await deps.outbound.send({
        workspaceId: auth.workspaceId,
        conversationId: conversation.id,
        channelId: conversation.channelId,
        contactId: conversation.contactId,
        type: 'text',
        text: body.text,
        idempotencyKey: `api:${auth.apiKeyId ?? auth.userId}:${body.clientMessageId ?? newId()}`,
        sender: 'agent',
        authorUserId: auth.userId ?? undefined,
      });
      if (sent.created)
        await deps.inbox.messageAdded({
          workspaceId: auth.workspaceId,
          conversationId: conversation.id,
          messageId: sent.messageId,
          direction: 'outbound',
        });
      return sent;
    },
  }),
  ...inboxActionRoutes(),
];

/** One item of a conversation's timeline: a message, a note, an event or a run, as json_build_object made it. */
const TimelineRow = z.object({ item: z.record(z.string(), z.unknown()) });

/** A message's stored media (null for a message without any). */
const MessageMediaRow = z.object({ media: StoredMediaSchema.nullable() });

function inboxActionRoutes() {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/conversations/:id/take',
      summary: 'Take a conversation from the bot or the queue (you must have room under your capacity; 409 when someone has it)',
      tag: 'conversations',
      auth: 'inbox.work',
      params: IdParams,
      response: ConversationDto,
      async handler({ deps, em, auth, params }) {
        await findConversation(em, auth, params.id);
        await deps.inbox.take(auth.workspaceId, personOf(auth), params.id, inboxActorOf(auth));
        return reload(em, auth, params.id);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/conversations/:id/assign',
      summary: 'Give a conversation to an agent of its team who is online with room (supervisors)',
      tag: 'conversations',
      auth: 'inbox.supervise',
      params: IdParams,
      body: z.strictObject({ userId: z.uuid() }),
      response: ConversationDto,
      exampleBody: { userId: '00000000-0000-4000-8000-000000000000' },
      async handler({ deps, em, auth, params, body }) {
        await findConversation(em, auth, params.id);
        await deps.inbox.assign(auth.workspaceId, params.id, body.userId, inboxActorOf(auth));
        return reload(em, auth, params.id);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/conversations/:id/transfer',
      summary:
        "Move a conversation to another team's queue, or straight to one of its agents (an agent transfers their own; supervisors any)",
      tag: 'conversations',
      auth: 'inbox.work',
      params: IdParams,
      body: z.strictObject({ teamId: z.uuid(), agentId: z.uuid().optional(), note: z.string().trim().min(1).max(500).optional() }),
      response: ConversationDto,
      exampleBody: { teamId: '00000000-0000-4000-8000-000000000000', note: 'billing question' },
      async handler({ deps, em, auth, params, body }) {
        const conversation = await findConversation(em, auth, params.id);
        requireOwnerOrSupervisor(auth, conversation);
        await deps.inbox.transfer(auth.workspaceId, params.id, body, inboxActorOf(auth));
        return reload(em, auth, params.id);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/conversations/:id/resolve',
      summary: "Resolve a conversation: the contact's next message starts a fresh conversation the bot answers",
      tag: 'conversations',
      auth: 'inbox.work',
      params: IdParams,
      response: ConversationDto,
      async handler({ deps, em, auth, params }) {
        const conversation = await findConversation(em, auth, params.id);
        requireOwnerOrSupervisor(auth, conversation);
        await deps.inbox.resolve(auth.workspaceId, params.id, inboxActorOf(auth));
        return reload(em, auth, params.id);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/conversations/:id/reopen',
      summary:
        "Reopen a resolved conversation: it comes to you when you have room, else to its team's queue (409 when the contact has a newer open conversation)",
      tag: 'conversations',
      auth: 'inbox.work',
      params: IdParams,
      response: ConversationDto,
      async handler({ deps, em, auth, params }) {
        await findConversation(em, auth, params.id);
        await deps.inbox.reopen(auth.workspaceId, params.id, inboxActorOf(auth));
        return reload(em, auth, params.id);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/conversations/:id/snooze',
      summary:
        'Snooze a conversation until a time (at most 30 days); then (or when the contact writes) it comes back to its agent if available, else to the queue',
      tag: 'conversations',
      auth: 'inbox.work',
      params: IdParams,
      body: z.strictObject({ until: z.iso.datetime({ offset: true }) }),
      response: ConversationDto,
      exampleBody: { until: '2099-01-01T09:00:00Z' },
      async handler({ deps, em, auth, params, body }) {
        const conversation = await findConversation(em, auth, params.id);
        requireOwnerOrSupervisor(auth, conversation);
        await deps.inbox.snooze(auth.workspaceId, params.id, new Date(body.until), inboxActorOf(auth));
        return reload(em, auth, params.id);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/conversations/:id/notes',
      summary: 'Add an internal note to a conversation: shown to the team in its timeline, never sent to the contact',
      tag: 'conversations',
      auth: 'inbox.work',
      status: 201,
      params: IdParams,
      body: z.strictObject({ text: z.string().trim().min(1).max(5_000) }),
      response: ConversationNoteDto,
      exampleBody: { text: 'Customer is waiting for a refund, checked with billing.' },
      async handler({ deps, em, auth, params, body }) {
        const conversation = await findConversation(em, auth, params.id);
        const id = newId();
        const now = deps.clock.now();
        await runSql(
          em,
          `insert into conversation_notes (id, workspace_id, conversation_id, contact_id, author_user_id, text, created_at) values (:id, :workspaceId, :conversationId, :contactId, cast(:authorUserId as uuid), :text, :now)`,
          {
            id,
            workspaceId: auth.workspaceId,
            conversationId: conversation.id,
            contactId: conversation.contactId,
            authorUserId: auth.userId,
            text: body.text,
            now,
          },
        );
        return { id, conversationId: conversation.id, authorUserId: auth.userId, text: body.text, createdAt: now.toISOString() };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/conversations/:id/timeline',
      summary: "A conversation's messages, internal notes, state changes and runs in one list, oldest first (the latest `limit` items)",
      tag: 'conversations',
      auth: 'conversations.read',
      params: IdParams,
      query: z.object({ limit: z.coerce.number().int().min(1).max(1_000).default(500) }),
      response: z.object({ items: z.array(TimelineItemDto) }),
      async handler({ em, auth, params, query }) {
        const conversation = await findConversation(em, auth, params.id);
        const { rows } = await runSql(
          em,
          `select item from (
             select m.created_at as at, 0 as ord, m.id, json_build_object('kind', 'message', 'at', m.created_at, 'id', m.id, 'direction', m.direction, 'sender', m.sender,
                    'authorUserId', m.author_user_id, 'type', m.type, 'text', case when m.deleted_at is null then m.text end,
                    'media', case when m.deleted_at is null then m.media end, 'status', m.status,
                    'reactions', case when m.deleted_at is null then m.metadata->'reactions' end) as item
               from messages m where m.conversation_id = :id and m.workspace_id = :workspaceId
             union all
             select n.created_at, 1, n.id, json_build_object('kind', 'note', 'at', n.created_at, 'id', n.id, 'authorUserId', n.author_user_id, 'text', n.text)
               from conversation_notes n where n.conversation_id = :id and n.workspace_id = :workspaceId
             union all
             select e.created_at, 2, e.id, json_build_object('kind', 'event', 'at', e.created_at, 'id', e.id, 'actorKind', e.actor_kind, 'actorUserId', e.actor_user_id,
                    'fromState', e.from_state, 'toState', e.to_state, 'fromAssigneeUserId', e.from_assignee_user_id, 'toAssigneeUserId', e.to_assignee_user_id,
                    'teamId', e.team_id, 'reason', e.reason)
               from conversation_events e where e.conversation_id = :id and e.workspace_id = :workspaceId
             union all
             select r.started_at, 3, r.id, json_build_object('kind', 'run', 'at', r.started_at, 'id', r.id, 'flowId', r.flow_id, 'status', r.status, 'endedAt', r.ended_at)
               from runs r where r.conversation_id = :id and r.workspace_id = :workspaceId
             order by at desc, ord desc, id desc
             limit :limit
           ) latest order by latest.at, latest.ord, latest.id`,
          { id: conversation.id, workspaceId: auth.workspaceId, limit: query.limit },
          { row: TimelineRow },
        );
        return { items: rows.map((r) => TimelineItemDto.parse(timelineItem(conversation.id, normaliseTimes(r.item)))) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/conversations/:id/messages/:messageId/media',
      summary:
        "The file of a message's image, audio, video or document, from this installation's media store (404 when the message has none or it was deleted)",
      tag: 'conversations',
      auth: 'conversations.read',
      params: z.object({ id: z.uuid(), messageId: z.uuid() }),
      async handler({ deps, em, auth, params, res }) {
        const conversation = await findConversation(em, auth, params.id);
        const { rows } = await runSql(
          em,
          `select media from messages where id = :messageId and conversation_id = :conversationId and workspace_id = :workspaceId and deleted_at is null`,
          { messageId: params.messageId, conversationId: conversation.id, workspaceId: auth.workspaceId },
          { row: MessageMediaRow },
        );
        const key = rows[0]?.media?.storageKey;
        if (!key) throw new NotFoundError('media', params.messageId);
        let data: Buffer;
        try {
          data = await privacyFilesOf(deps.config).media.get(key);
        } catch {
          // Gone from the store (retention removed it) or never downloaded.
          throw new NotFoundError('media', params.messageId);
        }
        const mimeType = rows[0]!.media!.mimeType ?? 'application/octet-stream';
        res.status(200);
        res.setHeader('Content-Type', INLINE_MEDIA.test(mimeType) ? mimeType : 'application/octet-stream');
        res.setHeader(
          'Content-Disposition',
          `${INLINE_MEDIA.test(mimeType) ? 'inline' : 'attachment'}; filename="${safeFileName(rows[0]!.media!.fileName ?? 'file')}"`,
        );
        res.setHeader('Cache-Control', 'private, max-age=3600');
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.end(data);
        return undefined;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/conversations/:id/read',
      summary: 'Your read position in a conversation and the messages from the contact after it',
      tag: 'conversations',
      auth: 'conversations.read',
      params: IdParams,
      response: ReadMarkerDto,
      async handler({ em, auth, params }) {
        const conversation = await findConversation(em, auth, params.id);
        return readMarker(em, conversation.id, personOf(auth));
      },
    }),
    defineRoute({
      method: 'put',
      path: '/v1/conversations/:id/read',
      summary: 'Mark a conversation read up to a message (its latest when none is named); a position never moves back',
      tag: 'conversations',
      auth: 'conversations.read',
      params: IdParams,
      body: z.strictObject({ messageId: z.uuid().optional() }),
      response: ReadMarkerDto,
      exampleBody: { messageId: '01900000-0000-7000-8000-000000000000' },
      async handler({ deps, em, auth, params, body }) {
        const conversation = await findConversation(em, auth, params.id);
        const userId = personOf(auth);
        const { rows } = await runSql(
          em,
          `select id from messages where conversation_id = :conversationId and workspace_id = :workspaceId
             and (cast(:messageId as uuid) is null or id = cast(:messageId as uuid))
           order by id desc limit 1`,
          { conversationId: conversation.id, workspaceId: auth.workspaceId, messageId: body.messageId ?? null },
          { row: IdRow },
        );
        if (body.messageId && !rows[0]) throw new NotFoundError('message', body.messageId);
        if (rows[0]) {
          await runSql(
            em,
            `insert into conversation_reads (conversation_id, workspace_id, user_id, last_read_message_id, read_at)
             values (:conversationId, :workspaceId, :userId, :messageId, :now)
             on conflict (conversation_id, user_id) do update
               set last_read_message_id = greatest(conversation_reads.last_read_message_id, excluded.last_read_message_id), read_at = excluded.read_at`,
            { conversationId: conversation.id, workspaceId: auth.workspaceId, userId, messageId: rows[0].id, now: deps.clock.now() },
          );
        }
        return readMarker(em, conversation.id, userId);
      },
    }),
  ];
}

/** Media types a browser may show in the page; anything else is served as a download (an SVG or HTML file could carry script). */
const INLINE_MEDIA = /^(image\/(png|jpeg|gif|webp)|audio\/[\w.+-]+|video\/(mp4|webm|ogg|3gpp))$/;

function safeFileName(name: string): string {
  return name.replace(/[^\w.\- ]/g, '_').slice(0, 100) || 'file';
}

function toListItem(c: Conversation, r: ListRow): z.infer<typeof ConversationListItemDto> {
  return {
    ...toConversationDto(c),
    contact: { name: r.contactName, phone: r.contactPhone },
    lastMessage:
      r.lastAt && r.lastType && r.lastDirection && r.lastSender
        ? {
            excerpt: r.lastExcerpt,
            type: r.lastType,
            direction: r.lastDirection,
            sender: r.lastSender,
            authorUserId: r.lastAuthorUserId,
            at: r.lastAt.toISOString(),
          }
        : null,
    unreadCount: r.unreadCount,
  };
}

/** The caller's read position (none until they first read the conversation) and the contact's messages after it. */
const ReadMarkerRow = z.object({ lastReadMessageId: z.string().nullable(), readAt: z.date().nullable(), unreadCount: z.number() });

async function readMarker(em: EntityManager, conversationId: string, userId: string): Promise<z.infer<typeof ReadMarkerDto>> {
  const { rows } = await runSql(
    em,
    `select r.last_read_message_id as "lastReadMessageId", r.read_at as "readAt",
            (select count(*)::int from (select 1 from messages m where m.conversation_id = :conversationId and m.direction = 'inbound'
                and m.id > coalesce(r.last_read_message_id, cast(:noMessage as uuid)) limit :maxUnread) u) as "unreadCount"
       from (select 1) one left join conversation_reads r on r.conversation_id = :conversationId and r.user_id = :userId`,
    { conversationId, userId, noMessage: NO_MESSAGE_ID, maxUnread: MAX_UNREAD_COUNTED },
    { row: ReadMarkerRow },
  );
  const r = rows[0]!;
  return {
    conversationId,
    lastReadMessageId: r.lastReadMessageId,
    readAt: r.readAt === null ? null : r.readAt.toISOString(),
    unreadCount: r.unreadCount,
  };
}

/** A message's stored reactions: by who reacted (`me` for the channel's own number), what and when; an entry of another shape is skipped. */
const StoredReactions = z.record(z.string(), z.object({ emoji: z.string(), at: z.string().optional() }).nullable().catch(null));

/** A message's stored media and reactions in the shape the timeline answers (the file through its same-origin route). */
function timelineItem(conversationId: string, item: Record<string, unknown>): Record<string, unknown> {
  if (item.kind !== 'message') return item;
  const media = StoredMediaSchema.nullable()
    .catch(null)
    .parse(item.media ?? null);
  const reactions = StoredReactions.catch({}).parse(item.reactions ?? {});
  return {
    ...item,
    media: media
      ? {
          mimeType: media.mimeType ?? null,
          fileName: media.fileName ?? null,
          caption: media.caption ?? null,
          sizeBytes: media.sizeBytes ?? null,
          url: media.storageKey ? `/api/v1/conversations/${conversationId}/messages/${String(item.id)}/media` : null,
        }
      : null,
    reactions: Object.entries(reactions).flatMap(([by, r]) => (r ? [{ emoji: r.emoji, fromUs: by === 'me', at: r.at ?? null }] : [])),
  };
}

/** Timestamps built by json_build_object come without the ISO "T"/"Z" form the API uses elsewhere. */
function normaliseTimes(item: Record<string, unknown>): Record<string, unknown> {
  const out = { ...item };
  for (const key of ['at', 'endedAt']) if (typeof out[key] === 'string') out[key] = new Date(out[key]).toISOString();
  return out;
}
