import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../engine/errors/app-error.ts';
import { validateJsonLogic } from '../../engine/flows/json-logic.ts';
import { audit } from '../../platform/audit/audit-log.ts';
import { newId } from '../../platform/ids.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { RoutingRuleDto } from '../dto/inbox.dto.ts';
import { defineRoute } from '../route.ts';
import { actorOf } from './actor.ts';

const IdParams = z.object({ id: z.uuid() });

/** A json-logic condition over `contact.*` (name, phone, attributes, tags), `channel.*` (id, kind) and `message.*` (text, type). */
const Condition = z.json().superRefine((rule, ctx) => {
  for (const p of validateJsonLogic(rule)) ctx.addIssue({ code: 'custom', message: p.message });
});

const SELECT = `select id, name, position, condition, team_id as "teamId", enabled, created_at as "createdAt", updated_at as "updatedAt" from routing_rules`;

/** A routing rule; its condition is json-logic, checked when it was written. */
const RoutingRuleRow = z.object({
  id: z.string(),
  name: z.string(),
  position: z.number(),
  condition: z.unknown(),
  teamId: z.string(),
  enabled: z.boolean(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
type RoutingRule = z.infer<typeof RoutingRuleRow>;

function toDto(r: RoutingRule): z.infer<typeof RoutingRuleDto> {
  return { ...r, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString() };
}

async function getRule(em: EntityManager, workspaceId: string, id: string): Promise<RoutingRule> {
  const { rows } = await runSql(
    em,
    `${SELECT} where workspace_id = :workspaceId and id = :id`,
    { workspaceId, id },
    { row: RoutingRuleRow },
  );
  if (!rows[0]) throw new NotFoundError('routing rule', id);
  return rows[0];
}

async function requireTeam(em: EntityManager, workspaceId: string, teamId: string): Promise<void> {
  const { rows } = await runSql(em, `select 1 from teams where workspace_id = :workspaceId and id = :teamId`, { workspaceId, teamId });
  if (rows.length === 0)
    throw new ValidationError('the routing rule names a team this workspace does not have', {
      details: [{ path: 'teamId', message: 'no such team' }],
    });
}

/*
 * Routing rules, applied in order (position, then creation) when a conversation enters the queue
 * without a team named by its hand-off: the first whose condition holds picks the team; none
 * matching, the workspace's default team gets it.
 */
export const routingRuleRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/routing-rules',
    summary: 'Routing rules in the order they are tried',
    tag: 'routing-rules',
    auth: 'conversations.read',
    response: z.object({ items: z.array(RoutingRuleDto) }),
    async handler({ em, auth }) {
      const { rows } = await runSql(
        em,
        `${SELECT} where workspace_id = :workspaceId order by position, created_at, id`,
        { workspaceId: auth.workspaceId },
        { row: RoutingRuleRow },
      );
      return { items: rows.map(toDto) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/routing-rules',
    summary: 'Add a routing rule: a json-logic condition over contact, channel and message, and the team it sends to',
    tag: 'routing-rules',
    auth: 'teams.manage',
    status: 201,
    body: z.strictObject({
      name: z.string().trim().min(1).max(100),
      condition: Condition,
      teamId: z.uuid(),
      position: z.number().int().min(0).max(100_000).optional(),
      enabled: z.boolean().default(true),
    }),
    response: RoutingRuleDto,
    exampleBody: {
      name: 'Invoices to billing',
      condition: { in: ['invoice', { var: 'message.text' }] },
      teamId: '00000000-0000-4000-8000-000000000000',
    },
    async handler({ deps, em, auth, body, req }) {
      const id = newId();
      await em.transactional(async (tx) => {
        await requireTeam(tx, auth.workspaceId, body.teamId);
        const now = deps.clock.now();
        await runSql(
          tx,
          `insert into routing_rules (id, workspace_id, position, name, condition, team_id, enabled, created_at, updated_at)
           values (:id, :workspaceId, coalesce(cast(:position as int), (select coalesce(max(position) + 1, 0) from routing_rules where workspace_id = :workspaceId)), :name, cast(:condition as jsonb), :teamId, :enabled, :now, :now)`,
          {
            id,
            workspaceId: auth.workspaceId,
            position: body.position ?? null,
            name: body.name,
            condition: JSON.stringify(body.condition),
            teamId: body.teamId,
            enabled: body.enabled,
            now,
          },
        );
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'routing_rule.created',
          target: { kind: 'routing_rule', id },
          details: { teamId: body.teamId },
          ip: req.ip,
        });
      });
      return toDto(await getRule(em, auth.workspaceId, id));
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/v1/routing-rules/:id',
    summary: 'Change a routing rule (name, condition, team, position, enabled)',
    tag: 'routing-rules',
    auth: 'teams.manage',
    params: IdParams,
    body: z.strictObject({
      name: z.string().trim().min(1).max(100).optional(),
      condition: Condition.optional(),
      teamId: z.uuid().optional(),
      position: z.number().int().min(0).max(100_000).optional(),
      enabled: z.boolean().optional(),
    }),
    response: RoutingRuleDto,
    exampleBody: { enabled: false },
    async handler({ deps, em, auth, params, body, req }) {
      await em.transactional(async (tx) => {
        const rule = await getRule(tx, auth.workspaceId, params.id);
        if (body.teamId) await requireTeam(tx, auth.workspaceId, body.teamId);
        await runSql(
          tx,
          `update routing_rules set name = :name, condition = cast(:condition as jsonb), team_id = :teamId, position = :position, enabled = :enabled, updated_at = :now
            where workspace_id = :workspaceId and id = :id`,
          {
            id: rule.id,
            workspaceId: auth.workspaceId,
            name: body.name ?? rule.name,
            condition: JSON.stringify(body.condition === undefined ? rule.condition : body.condition),
            teamId: body.teamId ?? rule.teamId,
            position: body.position ?? rule.position,
            enabled: body.enabled ?? rule.enabled,
            now: deps.clock.now(),
          },
        );
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'routing_rule.updated',
          target: { kind: 'routing_rule', id: rule.id },
          details: { fields: Object.keys(body) },
          ip: req.ip,
        });
      });
      return toDto(await getRule(em, auth.workspaceId, params.id));
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/routing-rules/:id',
    summary: 'Delete a routing rule',
    tag: 'routing-rules',
    auth: 'teams.manage',
    params: IdParams,
    async handler({ em, auth, params, req }) {
      await em.transactional(async (tx) => {
        const rule = await getRule(tx, auth.workspaceId, params.id);
        await runSql(tx, `delete from routing_rules where workspace_id = :workspaceId and id = :id`, {
          workspaceId: auth.workspaceId,
          id: rule.id,
        });
        audit(tx, {
          workspaceId: auth.workspaceId,
          actor: actorOf(auth),
          action: 'routing_rule.deleted',
          target: { kind: 'routing_rule', id: rule.id },
          ip: req.ip,
        });
      });
      return undefined;
    },
  }),
];
