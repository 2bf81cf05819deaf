import { pickAbBranch } from '../../flows/ab-split.ts';
import { isOpenAt } from '../../flows/business-hours.ts';
import { evaluateCondition } from '../../flows/json-logic.ts';
import type { AbSplitConfig } from '../../flows/nodes/ab-split.node.ts';
import { DEFAULT_BUSINESS_HOURS, type BusinessHoursConfig } from '../../flows/nodes/business-hours.node.ts';
import type { ConditionConfig } from '../../flows/nodes/condition.node.ts';
import type { SwitchConfig } from '../../flows/nodes/switch.node.ts';
import { flowData } from '../flow-data.ts';
import type { NodeExecutor } from '../node-executor.ts';

/** Follows `true` or `false` by the rule. */
export const conditionExecutor: NodeExecutor<ConditionConfig> = (config, ctx) => {
  const value = evaluateCondition(config.rule, flowData(ctx.facts, ctx.state));
  return { port: value ? 'true' : 'false', output: { value } };
};

/** Follows the first case whose rule holds, or `default`. */
export const switchExecutor: NodeExecutor<SwitchConfig> = (config, ctx) => {
  const data = flowData(ctx.facts, ctx.state);
  const hit = config.cases.find((c) => evaluateCondition(c.rule, data));
  return { port: hit?.id ?? 'default', output: { case: hit?.id ?? 'default' } };
};

/** Picks a branch by weight with the injected random number. */
export const abSplitExecutor: NodeExecutor<AbSplitConfig> = (config, ctx) => {
  const branch = pickAbBranch(config, ctx.random());
  return { port: branch, output: { branch } };
};

/** Follows `open` or `closed` by the weekly hours in the node's (or workspace's) time zone. */
export const businessHoursExecutor: NodeExecutor<BusinessHoursConfig> = (config, ctx) => {
  const open = isOpenAt(
    config.hours ?? ctx.facts.workspace.businessHours ?? DEFAULT_BUSINESS_HOURS,
    ctx.now,
    config.timezone ?? ctx.facts.workspace.timezone,
  );
  return { port: open ? 'open' : 'closed', output: { open } };
};
