import { validateAnswer } from '../../flows/answer-validation.ts';
import { durationToMs } from '../../flows/duration.ts';
import type { AskQuestionConfig } from '../../flows/nodes/ask-question.node.ts';
import { renderTemplateText } from '../../flows/template.ts';
import { flowData } from '../flow-data.ts';
import type { NodeContext, NodeExecutor, NodeResult } from '../node-executor.ts';

function ask(config: AskQuestionConfig, ctx: NodeContext, source: string, attempts: number): NodeResult {
  const text = renderTemplateText(source, flowData(ctx.facts, ctx.state));
  const dueAt = config.timeout === undefined ? null : new Date(ctx.now.getTime() + durationToMs(config.timeout)).toISOString();
  return {
    effects: [{ kind: 'send', text }],
    wait: { kind: 'reply', dueAt },
    state: { ...ctx.state, attempts: { ...ctx.state.attempts, [ctx.nodeId]: attempts } },
    output: { asked: text, attempt: attempts + 1 },
  };
}

/**
 * Sends the question and waits; checks the reply; re-asks after an invalid answer up to
 * `retries` times, then takes `invalid`. A valid answer is stored in a contact attribute or a
 * run variable and takes `answered`.
 */
export const askQuestionExecutor: NodeExecutor<AskQuestionConfig> = (config, ctx) => {
  if (!ctx.resume) return ask(config, ctx, config.prompt, 0);
  if (ctx.resume.kind === 'timeout') return { port: 'timeout' };
  const attempts = ctx.state.attempts[ctx.nodeId] ?? 0;
  const { [ctx.nodeId]: _done, ...otherAttempts } = ctx.state.attempts;
  const answer = ctx.resume.message.text ?? '';
  const check = validateAnswer(config.validation, answer);
  if (check.ok) {
    const target = config.storeAs;
    if (target.target === 'variable') {
      return {
        port: 'answered',
        state: { vars: { ...ctx.state.vars, [target.name]: check.value }, attempts: otherAttempts },
        output: { answer: check.value },
      };
    }
    return {
      port: 'answered',
      state: { ...ctx.state, attempts: otherAttempts },
      effects: [{ kind: 'set_attribute', key: target.key, value: String(check.value) }],
      output: { answer: check.value },
    };
  }
  if (attempts < config.retries)
    return {
      ...ask(config, ctx, config.retryPrompt ?? config.prompt, attempts + 1),
      output: { refused: check.reason, attempt: attempts + 2 },
    };
  return { port: 'invalid', state: { ...ctx.state, attempts: otherAttempts }, output: { refused: check.reason } };
};
