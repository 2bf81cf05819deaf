import { flowCallsOut } from '../../engine/flows/node-catalog.ts';
import { compileTriggerIndex, type TriggerIndex } from '../../engine/flows/trigger-match.ts';
import type { Logger } from '../logger.ts';
import type { ActiveFlow } from './flow-cache.ts';

/** A workspace's trigger index, and whether any of its active flows waits on an outside system. */
export interface WorkspaceTriggers extends TriggerIndex {
  callsOut: boolean;
  /** Per flow id: when its first version was published (ms). Older messages never start it. */
  firstPublishedAt: Record<string, number>;
}

/**
 * Builds a workspace's trigger index from its active published flows. A trigger the index leaves
 * out (a pattern published before RE2 that RE2 cannot compile) is logged once per rebuild: the
 * flow still looks active in the editor, so the log is where an operator finds why it is silent.
 */
export function buildTriggerIndex(flows: ActiveFlow[], workspaceId: string, logger: Logger): WorkspaceTriggers {
  const index = compileTriggerIndex(
    flows.map((f) => ({
      flowId: f.flowId,
      versionId: f.versionId,
      publishedAt: f.publishedAt,
      priority: f.priority,
      flow: f.document,
    })),
  );
  for (const skipped of index.skipped)
    logger.warn(
      { workspaceId, flowId: skipped.flowId, nodeId: skipped.nodeId, reason: skipped.reason },
      'trigger left out of the trigger index',
    );
  return {
    ...index,
    callsOut: flows.some((f) => flowCallsOut(f.document)),
    firstPublishedAt: Object.fromEntries(flows.map((f) => [f.flowId, f.firstPublishedAt.getTime()])),
  };
}
