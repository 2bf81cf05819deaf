import type { NodeExecutor } from '../node-executor.ts';

/** A trigger node is the run's first step: it records what started the run and continues. */
export const triggerExecutor: NodeExecutor = (_config, ctx) => ({
  port: 'out',
  output: { message: ctx.facts.message, trigger: ctx.facts.trigger },
});
