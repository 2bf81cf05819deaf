import { z } from 'zod';
import { JsonLogicRuleSchema } from '../json-logic.ts';
import { defineNode } from '../node-definition.ts';

export const ConditionConfigSchema = z.strictObject({
  /** json-logic over `{ contact, message, conversation, vars, trigger }`. */
  rule: JsonLogicRuleSchema,
});
export type ConditionConfig = z.output<typeof ConditionConfigSchema>;

export const conditionNode = defineNode({
  type: 'condition',
  category: 'logic',
  label: 'Condition',
  description: 'Goes one way when a condition holds and the other way when it does not.',
  configSchema: ConditionConfigSchema,
  defaultConfig: { rule: { '==': [{ var: 'contact.attributes.plan' }, 'pro'] } },
  waits: false,
  outputs: () => [
    { id: 'true', label: 'True' },
    { id: 'false', label: 'False' },
  ],
  expressions: (config) => ({ jsonLogic: [{ path: ['rule'], rule: config.rule }] }),
});
