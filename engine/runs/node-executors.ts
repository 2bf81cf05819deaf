import type { NodeType } from '../flows/node-catalog.ts';
import { askQuestionExecutor } from './executors/ask-question.executor.ts';
import {
  addTagExecutor,
  endExecutor,
  handOffExecutor,
  optInExecutor,
  optOutExecutor,
  removeTagExecutor,
  sendMessageExecutor,
  setContactAttributeExecutor,
  startFlowExecutor,
} from './executors/action.executors.ts';
import { httpRequestExecutor } from './executors/http-request.executor.ts';
import { abSplitExecutor, businessHoursExecutor, conditionExecutor, switchExecutor } from './executors/logic.executors.ts';
import { triggerExecutor } from './executors/trigger.executors.ts';
import { delayExecutor, waitForReplyExecutor } from './executors/wait.executors.ts';
import type { NodeExecutor } from './node-executor.ts';

/**
 * The engine's semantics of every node kind, keyed by the catalog's type. `satisfies` makes
 * the compiler refuse a catalog type without an executor.
 */
const EXECUTORS = {
  message_received: triggerExecutor,
  schedule: triggerExecutor,
  inbound_webhook: triggerExecutor,
  condition: conditionExecutor,
  switch: switchExecutor,
  ab_split: abSplitExecutor,
  delay: delayExecutor,
  wait_for_reply: waitForReplyExecutor,
  business_hours: businessHoursExecutor,
  send_message: sendMessageExecutor,
  ask_question: askQuestionExecutor,
  set_contact_attribute: setContactAttributeExecutor,
  add_tag: addTagExecutor,
  remove_tag: removeTagExecutor,
  http_request: httpRequestExecutor,
  hand_off: handOffExecutor,
  opt_out: optOutExecutor,
  opt_in: optInExecutor,
  start_flow: startFlowExecutor,
  end: endExecutor,
} satisfies Record<NodeType, NodeExecutor<never>>;

export const NODE_EXECUTORS: ReadonlyMap<string, NodeExecutor> = new Map(Object.entries(EXECUTORS) as [string, NodeExecutor][]);
