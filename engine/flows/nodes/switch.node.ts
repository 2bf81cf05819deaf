import { z } from 'zod';
import { ElementIdSchema } from '../flow-identifiers.ts';
import { JsonLogicRuleSchema } from '../json-logic.ts';
import { defineNode } from '../node-definition.ts';

/** The port taken when no case matches. */
export const SWITCH_DEFAULT_PORT = 'default';

export const SwitchConfigSchema = z
  .strictObject({
    /** Tried in order; the first case whose rule holds wins. Each case's id is its port id. */
    cases: z
      .array(z.strictObject({ id: ElementIdSchema, label: z.string().trim().min(1).max(60), rule: JsonLogicRuleSchema }))
      .min(1)
      .max(20),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.cases.forEach((c, i) => {
      if (c.id === SWITCH_DEFAULT_PORT)
        ctx.addIssue({ code: 'custom', path: ['cases', i, 'id'], message: `"${SWITCH_DEFAULT_PORT}" is the port for no match` });
      if (seen.has(c.id)) ctx.addIssue({ code: 'custom', path: ['cases', i, 'id'], message: `the case id "${c.id}" is used twice` });
      seen.add(c.id);
    });
  });
export type SwitchConfig = z.output<typeof SwitchConfigSchema>;

export const switchNode = defineNode({
  type: 'switch',
  category: 'logic',
  label: 'Switch',
  description: 'Takes the first case whose condition holds, or the default.',
  configSchema: SwitchConfigSchema,
  defaultConfig: { cases: [{ id: 'case-1', label: 'Case 1', rule: { '==': [{ var: 'message.text' }, '1'] } }] },
  waits: false,
  outputs: (config) => [...config.cases.map((c) => ({ id: c.id, label: c.label })), { id: SWITCH_DEFAULT_PORT, label: 'Default' }],
  expressions: (config) => ({ jsonLogic: config.cases.map((c, i) => ({ path: ['cases', i, 'rule'], rule: c.rule })) }),
});
