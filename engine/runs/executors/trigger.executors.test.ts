import { describe, expect, it } from 'vitest';
import { nodeContext, runFacts } from '../run-context.fixture.ts';
import { triggerExecutor } from './trigger.executors.ts';

describe('when a run starts at its trigger node', () => {
  it('records the message and the trigger input that started it, and continues by `out`', async () => {
    const facts = runFacts({ trigger: { body: { order: 42 } } });
    expect(await triggerExecutor({}, nodeContext({ facts }))).toEqual({
      port: 'out',
      output: { message: { id: 'message-1', text: 'hi', type: 'text' }, trigger: { body: { order: 42 } } },
    });
  });

  it('records a null message for a schedule or a webhook', async () => {
    const facts = runFacts({ message: null, trigger: { firedAt: '2025-01-15T10:00:00.000Z' } });
    expect(await triggerExecutor({}, nodeContext({ facts }))).toEqual({
      port: 'out',
      output: { message: null, trigger: { firedAt: '2025-01-15T10:00:00.000Z' } },
    });
  });
});
