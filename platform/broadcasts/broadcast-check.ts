import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { audiencePhones } from '../../engine/broadcasts/audience-phones.ts';
import type { BroadcastProblem } from '../../engine/broadcasts/broadcast-problem.ts';
import type { Audience, BroadcastContent, BroadcastSchedule } from '../../engine/broadcasts/broadcast-spec.ts';
import { parseBroadcastTemplate, templateBroadcastProblems } from '../../engine/broadcasts/broadcast-template.ts';
import { scheduledInstant } from '../../engine/broadcasts/scheduled-instant.ts';
import { validateSegmentRule } from '../../engine/broadcasts/segment.ts';
import { NotFoundError } from '../../engine/errors/app-error.ts';
import { runSql } from '../pipeline/run-sql.ts';
import { getTemplate } from '../templates/template-store.ts';

/** The parts of a broadcast that `checkBroadcast` looks at. */
export interface CheckedBroadcast {
  workspaceId: string;
  channelId: string;
  audience: Audience;
  content: BroadcastContent;
  schedule: BroadcastSchedule;
}

/** Whether the channel and the flow exist (a scalar subquery over no flow is null). */
const ReferencesFoundRow = z.object({
  channelFound: z.boolean(),
  flowFound: z.boolean().nullable(),
  flowPublished: z.boolean().nullable(),
});

/**
 * Every problem with a broadcast as written: the channel and flow exist in the workspace, the
 * segment rule is safe, every phone is a phone, the template's variables exist. With
 * `forScheduling`, also what only matters once it is scheduled: a start time in the past.
 */
export async function checkBroadcast(
  em: EntityManager,
  b: CheckedBroadcast,
  opts: { forScheduling: boolean; now: Date },
): Promise<BroadcastProblem[]> {
  const problems: BroadcastProblem[] = [];
  const { rows } = await runSql(
    em,
    `select exists (select 1 from channels where id = :channelId and workspace_id = :workspaceId and deleted_at is null) as "channelFound",
            (select true from flows where id = cast(:flowId as uuid) and workspace_id = :workspaceId and deleted_at is null) as "flowFound",
            (select published_version is not null and active from flows where id = cast(:flowId as uuid) and workspace_id = :workspaceId and deleted_at is null) as "flowPublished"`,
    { channelId: b.channelId, workspaceId: b.workspaceId, flowId: b.content.kind === 'flow' ? b.content.flowId : null },
    { row: ReferencesFoundRow },
  );
  const found = rows[0];
  if (!found?.channelFound)
    problems.push({ code: 'channel_not_found', message: `channel ${b.channelId} does not exist in this workspace`, path: 'channelId' });
  if (b.content.kind === 'flow') {
    if (!found?.flowFound)
      problems.push({
        code: 'flow_not_found',
        message: `flow ${b.content.flowId} does not exist in this workspace`,
        path: 'content.flowId',
      });
    else if (!found.flowPublished)
      problems.push({
        code: 'flow_not_published',
        message: 'the flow must be published and active to start it for each recipient',
        path: 'content.flowId',
      });
  } else if (b.content.kind === 'template') {
    problems.push(...(await templateProblems(em, b.workspaceId, b.content.templateId)));
  } else {
    problems.push(...parseBroadcastTemplate(b.content.text).problems);
  }
  if (b.audience.kind === 'segment') {
    for (const p of validateSegmentRule(b.audience.rule)) {
      problems.push({ code: 'segment_invalid', message: p.message, path: ['audience', 'rule', ...(p.path ?? [])].join('.') });
    }
  } else {
    problems.push(...audiencePhones(b.audience).problems);
  }
  if (opts.forScheduling && b.schedule.kind === 'at' && scheduledInstant(b.schedule, opts.now).getTime() <= opts.now.getTime()) {
    problems.push({
      code: 'schedule_in_past',
      message: `${b.schedule.localTime} in ${b.schedule.timezone} is in the past`,
      path: 'schedule.localTime',
    });
  }
  return problems;
}

/**
 * A template broadcast's template: it exists in the workspace (another workspace's reads as
 * missing) and its current version needs nothing but the contact and the workspace. Its row is
 * share-locked until the caller's transaction ends, so a delete cannot slip in between.
 */
export async function templateProblems(em: EntityManager, workspaceId: string, templateId: string): Promise<BroadcastProblem[]> {
  try {
    const template = await getTemplate(em, workspaceId, templateId, { lock: 'share' });
    return templateBroadcastProblems(template.name, template.content);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    return [
      {
        code: 'template_not_found',
        message: 'the chosen template does not exist (it may have been deleted): pick another template, or write the message here',
        path: 'content.templateId',
      },
    ];
  }
}
