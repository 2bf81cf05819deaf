import { compileTriggerIndex, type TriggerIndex } from '../../engine/flows/trigger-match.ts';
import type { ActiveFlow } from './flow-cache.ts';

export type { TriggerIndex };

/** Builds a workspace's trigger index from its active published flows. */
export function buildTriggerIndex(flows: ActiveFlow[]): TriggerIndex {
  return compileTriggerIndex(flows.map((f) => ({ flowId: f.flowId, versionId: f.versionId, publishedAt: new Date(f.publishedAt), flow: f.document })));
}
