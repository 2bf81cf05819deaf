import { computeDelayDueAt } from '../../flows/delay.ts';
import { durationToMs } from '../../flows/duration.ts';
import type { DelayConfig } from '../../flows/nodes/delay.node.ts';
import type { WaitForReplyConfig } from '../../flows/nodes/wait-for-reply.node.ts';
import type { NodeExecutor } from '../node-executor.ts';

/** Waits on a timer, then continues. */
export const delayExecutor: NodeExecutor<DelayConfig> = (config, ctx) => {
  if (ctx.resume?.kind === 'timeout') return { port: 'out' };
  const dueAt = computeDelayDueAt(config, {
    now: ctx.now,
    workspaceTimeZone: ctx.facts.workspace.timezone,
    workspaceBusinessHours: ctx.facts.workspace.businessHours,
  });
  return { wait: { kind: 'timer', dueAt: dueAt.toISOString() }, output: { dueAt: dueAt.toISOString() } };
};

/** Waits for the contact's next message (saved as a variable if asked), or times out. */
export const waitForReplyExecutor: NodeExecutor<WaitForReplyConfig> = (config, ctx) => {
  if (ctx.resume?.kind === 'timeout') return { port: 'timeout' };
  if (ctx.resume?.kind === 'reply') {
    const text = ctx.resume.message.text;
    const state = config.saveReplyAs ? { ...ctx.state, vars: { ...ctx.state.vars, [config.saveReplyAs]: text } } : undefined;
    return { port: 'reply', ...(state ? { state } : {}), output: { reply: text } };
  }
  const dueAt = new Date(ctx.now.getTime() + durationToMs(config.timeout)).toISOString();
  return { wait: { kind: 'reply', dueAt }, output: { dueAt } };
};
