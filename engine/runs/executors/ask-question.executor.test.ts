import { describe, expect, it } from 'vitest';
import { AskQuestionConfigSchema } from '../../flows/nodes/ask-question.node.ts';
import { emptyState, nodeContext, WEDNESDAY_10_UTC } from '../run-context.fixture.ts';
import type { RunState } from '../run-types.ts';
import { askQuestionExecutor } from './ask-question.executor.ts';

const emailQuestion = AskQuestionConfigSchema.parse({
  prompt: 'Your email, {{contact.name}}?',
  retryPrompt: 'That is not an email. Your email?',
  validation: { kind: 'email' },
  retries: 1,
  storeAs: { target: 'contact_attribute', key: 'email' },
  timeout: { amount: 10, unit: 'minutes' },
});

const reply = (text: string | null) => ({ kind: 'reply' as const, message: { id: 'reply-1', text, type: 'text' } });

describe('when a run reaches an Ask question node', () => {
  it('sends the rendered prompt and waits for a reply until its timeout, counting attempt 1', async () => {
    const result = await askQuestionExecutor(emailQuestion, nodeContext({ nodeId: 'ask' }));
    expect(result.effects).toEqual([{ kind: 'send', text: 'Your email, Sam?' }]);
    expect(result.wait).toEqual({ kind: 'reply', dueAt: new Date(WEDNESDAY_10_UTC.getTime() + 10 * 60_000).toISOString() });
    expect(result.state?.attempts).toEqual({ ask: 0 });
    expect(result.output).toEqual({ asked: 'Your email, Sam?', attempt: 1 });
    expect(result.port).toBeUndefined();
  });

  it('waits with no due time when the question has no timeout', async () => {
    const untimed = AskQuestionConfigSchema.parse({ prompt: 'Name?', storeAs: { target: 'variable', name: 'name' } });
    expect((await askQuestionExecutor(untimed, nodeContext())).wait).toEqual({ kind: 'reply', dueAt: null });
  });
});

describe('when the contact answers an Ask question node', () => {
  const waiting: RunState = { vars: {}, attempts: { ask: 0, other: 3 } };

  it('stores a valid answer in the contact attribute, takes `answered` and forgets its attempts', async () => {
    const result = await askQuestionExecutor(
      emailQuestion,
      nodeContext({ nodeId: 'ask', state: waiting, resume: reply(' Sam@Example.COM ') }),
    );
    expect(result.port).toBe('answered');
    expect(result.effects).toEqual([{ kind: 'set_attribute', key: 'email', value: 'sam@example.com' }]);
    expect(result.state).toEqual({ vars: {}, attempts: { other: 3 } });
    expect(result.wait).toBeUndefined();
  });

  it('stores a valid answer in a run variable when asked to, with the value the validation gives', async () => {
    const age = AskQuestionConfigSchema.parse({
      prompt: 'Age?',
      validation: { kind: 'number', integer: true },
      storeAs: { target: 'variable', name: 'age' },
    });
    const result = await askQuestionExecutor(
      age,
      nodeContext({ nodeId: 'ask', state: { vars: { kept: 1 }, attempts: { ask: 0 } }, resume: reply('42') }),
    );
    expect(result).toMatchObject({ port: 'answered', state: { vars: { kept: 1, age: 42 }, attempts: {} }, output: { answer: 42 } });
    expect(result.effects).toBeUndefined();
  });

  it('re-asks with the retry prompt after an invalid answer, counting the attempt', async () => {
    const result = await askQuestionExecutor(emailQuestion, nodeContext({ nodeId: 'ask', state: waiting, resume: reply('no thanks') }));
    expect(result.port).toBeUndefined();
    expect(result.effects).toEqual([{ kind: 'send', text: 'That is not an email. Your email?' }]);
    expect(result.wait?.kind).toBe('reply');
    expect(result.state?.attempts).toEqual({ ask: 1, other: 3 });
    expect(result.output).toEqual({ refused: 'not_an_email', attempt: 2 });
  });

  it('re-asks with the prompt itself when the node has no retry prompt', async () => {
    const noRetryPrompt = AskQuestionConfigSchema.parse({
      prompt: 'Email?',
      validation: { kind: 'email' },
      storeAs: { target: 'variable', name: 'email' },
    });
    const result = await askQuestionExecutor(noRetryPrompt, nodeContext({ nodeId: 'ask', state: emptyState(), resume: reply('nope') }));
    expect(result.effects).toEqual([{ kind: 'send', text: 'Email?' }]);
  });

  it('takes `invalid` once its retries are spent, sending nothing more', async () => {
    const result = await askQuestionExecutor(
      emailQuestion,
      nodeContext({ nodeId: 'ask', state: { vars: {}, attempts: { ask: 1 } }, resume: reply('still no') }),
    );
    expect(result).toEqual({ port: 'invalid', state: { vars: {}, attempts: {} }, output: { refused: 'not_an_email' } });
  });

  it('treats a reply without text (a picture) as an empty answer', async () => {
    const result = await askQuestionExecutor(
      emailQuestion,
      nodeContext({ nodeId: 'ask', state: { vars: {}, attempts: { ask: 1 } }, resume: reply(null) }),
    );
    expect(result.port).toBe('invalid');
  });
});

describe('when an Ask question node times out', () => {
  it('takes `timeout` without sending or storing anything', async () => {
    expect(
      await askQuestionExecutor(
        emailQuestion,
        nodeContext({ nodeId: 'ask', state: { vars: {}, attempts: { ask: 0 } }, resume: { kind: 'timeout' } }),
      ),
    ).toEqual({ port: 'timeout' });
  });
});
