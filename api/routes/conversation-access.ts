import type { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import { can } from '../../engine/tenancy/role.ts';
import { ConversationSchema, type Conversation } from '../../platform/db/entities/conversation.entity.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import type { InboxActor } from '../../platform/inbox/inbox-effects.ts';
import type { AuthContext } from '../route.ts';

/**
 * Who sees which conversation. Roles with `conversations.read_all` see all of the workspace's;
 * an agent sees those assigned to them, those of their teams (queues included) and those in no
 * team. A conversation the caller may not see answers 404, as one of another workspace does.
 */
export function seesAll(auth: AuthContext): boolean {
  return can(auth.role, 'conversations.read_all');
}

/** SQL condition on the conversation alias `c` for the caller's view (binds :viewerId and :workspaceId). */
export const VISIBLE_TO_AGENT_SQL = `(c.assignee_user_id = cast(:viewerId as uuid) or c.team_id is null
  or c.team_id in (select tm.team_id from team_members tm where tm.workspace_id = :workspaceId and tm.user_id = cast(:viewerId as uuid)))`;

export async function findVisibleConversation(em: EntityManager, auth: AuthContext, id: string): Promise<Conversation> {
  const conversation = await em.findOne(ConversationSchema, { id, workspaceId: auth.workspaceId });
  if (!conversation) throw new NotFoundError('conversation', id);
  if (seesAll(auth)) return conversation;
  if (conversation.assigneeUserId && conversation.assigneeUserId === auth.userId) return conversation;
  if (!conversation.teamId) return conversation;
  if (auth.userId) {
    const { rows } = await runSql(em, `select 1 from team_members where team_id = :teamId and user_id = :userId`, {
      teamId: conversation.teamId,
      userId: auth.userId,
    });
    if (rows.length > 0) return conversation;
  }
  throw new NotFoundError('conversation', id);
}

/** The inbox actor for an authenticated caller. */
export function inboxActorOf(auth: AuthContext): InboxActor {
  return auth.actorKind === 'user' ? { kind: 'user', userId: auth.userId } : { kind: 'api_key', userId: null };
}

/** The calling person's user id; an API key is no person (it cannot take a conversation or be online). */
export function personOf(auth: AuthContext): string {
  if (!auth.userId) throw new ValidationError('this action is for a signed-in person, not an API key');
  return auth.userId;
}
