import type { z } from 'zod';
import type { Flow } from './flow.schema.ts';
import type { NodeDefinition } from './node-definition.ts';
import { abSplitNode } from './nodes/ab-split.node.ts';
import { addTagNode } from './nodes/add-tag.node.ts';
import { askQuestionNode } from './nodes/ask-question.node.ts';
import { businessHoursNode } from './nodes/business-hours.node.ts';
import { conditionNode } from './nodes/condition.node.ts';
import { delayNode } from './nodes/delay.node.ts';
import { endNode } from './nodes/end.node.ts';
import { handOffNode } from './nodes/hand-off.node.ts';
import { httpRequestNode } from './nodes/http-request.node.ts';
import { inboundWebhookNode } from './nodes/inbound-webhook.node.ts';
import { messageReceivedNode } from './nodes/message-received.node.ts';
import { optInNode } from './nodes/opt-in.node.ts';
import { optOutNode } from './nodes/opt-out.node.ts';
import { removeTagNode } from './nodes/remove-tag.node.ts';
import { scheduleNode } from './nodes/schedule.node.ts';
import { sendMessageNode } from './nodes/send-message.node.ts';
import { setContactAttributeNode } from './nodes/set-contact-attribute.node.ts';
import { startFlowNode } from './nodes/start-flow.node.ts';
import { switchNode } from './nodes/switch.node.ts';
import { waitForReplyNode } from './nodes/wait-for-reply.node.ts';

/** Every node kind, in palette order: triggers, then logic, then actions. */
export const NODE_CATALOG = [
  messageReceivedNode,
  scheduleNode,
  inboundWebhookNode,
  conditionNode,
  switchNode,
  abSplitNode,
  delayNode,
  waitForReplyNode,
  businessHoursNode,
  sendMessageNode,
  askQuestionNode,
  setContactAttributeNode,
  addTagNode,
  removeTagNode,
  httpRequestNode,
  handOffNode,
  optOutNode,
  optInNode,
  startFlowNode,
  endNode,
] as const;

/** One entry of the catalog, as a union over all node kinds. */
export type CatalogEntry = (typeof NODE_CATALOG)[number];

/** The name of a node kind, e.g. "send_message". */
export type NodeType = CatalogEntry['type'];

/** The definition of one node kind, with its literal type and config schema. */
export type NodeDefinitionOf<T extends NodeType> = Extract<CatalogEntry, { type: T }>;

/** A node kind's config after parsing (defaults filled in). */
export type NodeConfig<T extends NodeType> = z.output<NodeDefinitionOf<T>['configSchema']>;

/** A node kind's config as a document may hold it (defaults may be missing). */
export type NodeConfigInput<T extends NodeType> = z.input<NodeDefinitionOf<T>['configSchema']>;

const BY_TYPE: ReadonlyMap<string, NodeDefinition> = new Map(NODE_CATALOG.map((d) => [d.type, d as NodeDefinition]));

/** The definition of a node kind, or undefined for a type the catalog does not know. */
export function findNodeDefinition(type: string): NodeDefinition | undefined {
  return BY_TYPE.get(type);
}

/** True when a node of the flow waits on an outside system when it runs (see NodeDefinition.callsOut). */
export function flowCallsOut(flow: Pick<Flow, 'nodes'>): boolean {
  return flow.nodes.some((node) => BY_TYPE.get(node.type)?.callsOut === true);
}

/** True when `type` names a node kind of the catalog. */
export function isNodeType(type: string): type is NodeType {
  return BY_TYPE.has(type);
}
