import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { CONVERSATION_STATUSES } from '../../engine/conversations/conversation-status.ts';
import { NotFoundError } from '../../engine/errors/app-error.ts';
import { MAX_TEXT_CHARS } from '../../engine/messages/message-content.ts';
import { ConversationSchema, type Conversation } from '../../platform/db/entities/conversation.entity.ts';
import { MessageSchema } from '../../platform/db/entities/message.entity.ts';
import { newId } from '../../platform/ids.ts';
import { ConversationDto, toConversationDto } from '../dto/conversation.dto.ts';
import { MessageDto, toMessageDto } from '../dto/message.dto.ts';
import { decodeCursor, page, PageQuery } from '../pagination.ts';
import { defineRoute } from '../route.ts';

const IdParams = z.object({ id: z.uuid() });

async function findConversation(em: EntityManager, workspaceId: string, id: string): Promise<Conversation> {
  const conversation = await em.findOne(ConversationSchema, { id, workspaceId });
  if (!conversation) throw new NotFoundError('conversation', id);
  return conversation;
}

export const conversationRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/conversations',
    summary: 'Conversations, most recent activity first; filter by channel and status',
    tag: 'conversations',
    auth: 'conversations.read',
    query: PageQuery.extend({ channelId: z.uuid().optional(), status: z.enum(CONVERSATION_STATUSES).optional(), contactId: z.uuid().optional() }),
    response: z.object({ items: z.array(ConversationDto), nextCursor: z.string().nullable() }),
    async handler({ em, auth, query }) {
      const where: FilterQuery<Conversation> = { workspaceId: auth.workspaceId };
      if (query.channelId) where.channelId = query.channelId;
      if (query.contactId) where.contactId = query.contactId;
      if (query.status) where.status = query.status;
      const cursor = decodeCursor(query.cursor);
      if (cursor) {
        const at = new Date(cursor.at);
        where.$or = [{ lastMessageAt: { $lt: at } }, { lastMessageAt: at, id: { $lt: cursor.id } }];
      }
      const rows = await em.find(ConversationSchema, where, { orderBy: { lastMessageAt: 'desc', id: 'desc' }, limit: query.limit + 1 });
      const result = page(rows, query.limit, (c) => ({ at: c.lastMessageAt.toISOString(), id: c.id }));
      return { items: result.items.map(toConversationDto), nextCursor: result.nextCursor };
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
      return toConversationDto(await findConversation(em, auth.workspaceId, params.id));
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
    response: z.object({ items: z.array(MessageDto), nextCursor: z.string().nullable() }),
    async handler({ em, auth, params, query }) {
      const conversation = await findConversation(em, auth.workspaceId, params.id);
      const cursor = decodeCursor(query.cursor);
      // Message ids are UUIDv7, so id order is arrival order.
      const rows = await em.find(MessageSchema, { conversationId: conversation.id, workspaceId: auth.workspaceId, ...(cursor ? { id: { $gt: cursor.id } } : {}) }, { orderBy: { id: 'asc' }, limit: query.limit + 1 });
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
    response: z.object({ messageId: z.uuid(), created: z.boolean() }),
    exampleBody: { text: 'Hello from the team', clientMessageId: 'reply-1' },
    async handler({ deps, em, auth, params, body }) {
      const conversation = await findConversation(em, auth.workspaceId, params.id);
      return deps.outbound.send({
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
    },
  }),
];
