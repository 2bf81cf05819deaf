import { describe, expect, it } from 'vitest';
import { DelayConfigSchema } from '../../flows/nodes/delay.node.ts';
import { WaitForReplyConfigSchema } from '../../flows/nodes/wait-for-reply.node.ts';
import { nodeContext, runFacts, WEDNESDAY_10_UTC } from '../run-context.fixture.ts';
import { delayExecutor, waitForReplyExecutor } from './wait.executors.ts';

const at = (ms: number) => new Date(WEDNESDAY_10_UTC.getTime() + ms).toISOString();

describe('when a run reaches a Delay node', () => {
  it('waits on a timer for the duration from the injected now', async () => {
    const config = DelayConfigSchema.parse({ mode: 'duration', duration: { amount: 90, unit: 'seconds' } });
    expect(await delayExecutor(config, nodeContext())).toEqual({
      wait: { kind: 'timer', dueAt: at(90_000) },
      output: { dueAt: at(90_000) },
    });
  });

  it('waits until the next time the wall clock reads the time, in the node time zone', async () => {
    // 10:00 UTC is 11:00 in Paris: 09:30 Paris is tomorrow, 08:30 UTC.
    const config = DelayConfigSchema.parse({ mode: 'until_time', time: '09:30', timezone: 'Europe/Paris' });
    expect((await delayExecutor(config, nodeContext())).wait).toEqual({ kind: 'timer', dueAt: '2025-01-16T08:30:00.000Z' });
  });

  it("reads the time in the workspace's time zone when the node names none", async () => {
    const config = DelayConfigSchema.parse({ mode: 'until_time', time: '12:00' });
    const facts = runFacts({ workspace: { id: 'w', timezone: 'America/New_York' } });
    // 10:00 UTC is 05:00 in New York: noon there is 17:00 UTC the same day.
    expect((await delayExecutor(config, nodeContext({ facts }))).wait).toEqual({ kind: 'timer', dueAt: '2025-01-15T17:00:00.000Z' });
  });

  it('continues by `out` when its timer fires', async () => {
    const config = DelayConfigSchema.parse({ mode: 'duration', duration: { amount: 5, unit: 'minutes' } });
    expect(await delayExecutor(config, nodeContext({ resume: { kind: 'timeout' } }))).toEqual({ port: 'out' });
  });
});

describe('when a run reaches a Wait for reply node', () => {
  const config = WaitForReplyConfigSchema.parse({ timeout: { amount: 2, unit: 'hours' }, saveReplyAs: 'answer' });

  it('waits for a reply until its timeout', async () => {
    expect(await waitForReplyExecutor(config, nodeContext())).toEqual({
      wait: { kind: 'reply', dueAt: at(2 * 3_600_000) },
      output: { dueAt: at(2 * 3_600_000) },
    });
  });

  it('waits 24 hours by default', async () => {
    expect((await waitForReplyExecutor(WaitForReplyConfigSchema.parse({}), nodeContext())).wait).toEqual({
      kind: 'reply',
      dueAt: at(24 * 3_600_000),
    });
  });

  it('takes `reply` and saves the text in the named variable, keeping the other variables', async () => {
    const result = await waitForReplyExecutor(
      config,
      nodeContext({
        state: { vars: { kept: true }, attempts: {} },
        resume: { kind: 'reply', message: { id: 'r', text: 'yes please', type: 'text' } },
      }),
    );
    expect(result).toEqual({
      port: 'reply',
      state: { vars: { kept: true, answer: 'yes please' }, attempts: {} },
      output: { reply: 'yes please' },
    });
  });

  it('takes `reply` without changing the state when it saves nothing', async () => {
    const result = await waitForReplyExecutor(
      WaitForReplyConfigSchema.parse({}),
      nodeContext({ resume: { kind: 'reply', message: { id: 'r', text: 'ok', type: 'text' } } }),
    );
    expect(result).toEqual({ port: 'reply', output: { reply: 'ok' } });
  });

  it('takes `timeout` when no reply came in time', async () => {
    expect(await waitForReplyExecutor(config, nodeContext({ resume: { kind: 'timeout' } }))).toEqual({ port: 'timeout' });
  });
});
