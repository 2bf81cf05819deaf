import { flowCallsOut } from '../../engine/flows/node-catalog.ts';
import { compileTriggerIndex, type TriggerIndex } from '../../engine/flows/trigger-match.ts';
import type { ActiveFlow } from './flow-cache.ts';

/** A workspace's trigger index, and whether any of its active flows waits on an outside system. */
export interface WorkspaceTriggers extends TriggerIndex {
  callsOut: boolean;
}

/** Builds a workspace's trigger index from its active published flows. */
export function buildTriggerIndex(flows: ActiveFlow[]): WorkspaceTriggers {
  return {
    ...compileTriggerIndex(flows.map((f) => ({ flowId: f.flowId, versionId: f.versionId, publishedAt: new Date(f.publishedAt), flow: f.document }))),
    callsOut: flows.some((f) => flowCallsOut(f.document)),
  };
}
