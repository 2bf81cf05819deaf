import { describe, expect, it } from 'vitest';
import { AbSplitConfigSchema } from '../../flows/nodes/ab-split.node.ts';
import { BusinessHoursConfigSchema } from '../../flows/nodes/business-hours.node.ts';
import { ConditionConfigSchema } from '../../flows/nodes/condition.node.ts';
import { SwitchConfigSchema } from '../../flows/nodes/switch.node.ts';
import { emptyState, nodeContext, runFacts } from '../run-context.fixture.ts';
import { abSplitExecutor, businessHoursExecutor, conditionExecutor, switchExecutor } from './logic.executors.ts';

describe('when a run reaches a Condition node', () => {
  const proPlan = ConditionConfigSchema.parse({ rule: { '==': [{ var: 'contact.plan' }, 'pro'] } });

  it('follows `true` when the rule holds on the contact', async () => {
    expect(await conditionExecutor(proPlan, nodeContext())).toEqual({ port: 'true', output: { value: true } });
  });

  it('follows `false` when it does not', async () => {
    const facts = runFacts({ contact: { id: 'c', phone: null, name: null, attributes: { plan: 'free' }, tags: [] } });
    expect(await conditionExecutor(proPlan, nodeContext({ facts }))).toEqual({ port: 'false', output: { value: false } });
  });

  it('reads run variables', async () => {
    const rule = ConditionConfigSchema.parse({ rule: { '>': [{ var: 'vars.score' }, 5] } });
    expect((await conditionExecutor(rule, nodeContext({ state: { vars: { score: 7 }, attempts: {} } }))).port).toBe('true');
  });
});

describe('when a run reaches a Switch node', () => {
  const byText = SwitchConfigSchema.parse({
    cases: [
      { id: 'sales', label: 'Sales', rule: { '==': [{ var: 'message.text' }, '1'] } },
      { id: 'support', label: 'Support', rule: { in: [{ var: 'message.text' }, ['1', '2']] } },
    ],
  });
  const saying = (text: string) => nodeContext({ facts: runFacts({ message: { id: 'm', text, type: 'text' } }) });

  it('follows the first case whose rule holds, even when a later one holds too', async () => {
    expect(await switchExecutor(byText, saying('1'))).toEqual({ port: 'sales', output: { case: 'sales' } });
    expect(await switchExecutor(byText, saying('2'))).toEqual({ port: 'support', output: { case: 'support' } });
  });

  it('follows `default` when no case holds', async () => {
    expect(await switchExecutor(byText, saying('3'))).toEqual({ port: 'default', output: { case: 'default' } });
  });
});

describe('when a run reaches an A/B split node', () => {
  const thirtySeventy = AbSplitConfigSchema.parse({
    branches: [
      { id: 'a', label: 'A', weight: 30 },
      { id: 'b', label: 'B', weight: 70 },
    ],
  });

  it('picks the branch by weight with the injected random number', async () => {
    expect(await abSplitExecutor(thirtySeventy, nodeContext({ random: () => 0 }))).toEqual({ port: 'a', output: { branch: 'a' } });
    expect((await abSplitExecutor(thirtySeventy, nodeContext({ random: () => 0.299 }))).port).toBe('a');
    expect((await abSplitExecutor(thirtySeventy, nodeContext({ random: () => 0.3 }))).port).toBe('b');
    expect((await abSplitExecutor(thirtySeventy, nodeContext({ random: () => 0.999 }))).port).toBe('b');
  });

  it('never picks a branch of weight 0', async () => {
    const off = AbSplitConfigSchema.parse({
      branches: [
        { id: 'a', label: 'A', weight: 0 },
        { id: 'b', label: 'B', weight: 1 },
      ],
    });
    for (const r of [0, 0.5, 0.999]) expect((await abSplitExecutor(off, nodeContext({ random: () => r }))).port).toBe('b');
  });

  it('draws one random number per execution', async () => {
    let draws = 0;
    await abSplitExecutor(thirtySeventy, nodeContext({ random: () => (draws++, 0.5) }));
    expect(draws).toBe(1);
  });
});

describe('when a run reaches a Business hours node with a time zone of its own', () => {
  const ownZone = BusinessHoursConfigSchema.parse({ timezone: 'Asia/Tokyo' });

  it('reads the hours in that time zone, not the workspace one', async () => {
    // Wednesday 10:00 UTC is 19:00 in Tokyo: open in UTC by the default hours, closed in Tokyo.
    expect(await businessHoursExecutor(ownZone, nodeContext({ state: emptyState() }))).toEqual({ port: 'closed', output: { open: false } });
    expect(await businessHoursExecutor(BusinessHoursConfigSchema.parse({}), nodeContext())).toEqual({
      port: 'open',
      output: { open: true },
    });
  });

  it('moves with the injected now', async () => {
    // Wednesday 01:00 UTC is 10:00 in Tokyo.
    expect((await businessHoursExecutor(ownZone, nodeContext({ now: new Date('2025-01-15T01:00:00Z') }))).port).toBe('open');
  });
});
