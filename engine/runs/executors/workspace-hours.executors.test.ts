import { describe, expect, it } from 'vitest';
import { WeeklyHoursSchema } from '../../flows/nodes/business-hours.node.ts';
import type { NodeContext } from '../node-executor.ts';
import type { RunFacts } from '../run-types.ts';
import { businessHoursExecutor } from './logic.executors.ts';
import { delayExecutor } from './wait.executors.ts';

// Saturdays 10:00–12:00 only: a workspace whose hours differ from the default Monday–Friday 9–5.
const SATURDAY_MORNINGS = WeeklyHoursSchema.parse({ saturday: [{ from: '10:00', to: '12:00' }] });

function contextAt(iso: string, workspace: RunFacts['workspace']): NodeContext {
  return {
    nodeId: 'n1',
    facts: { contact: null, message: null, conversation: null, trigger: {}, workspace },
    state: { variables: {} } as unknown as NodeContext['state'],
    now: new Date(iso),
    random: () => 0,
    http: { request: () => Promise.reject(new Error('no HTTP in this test')) },
    secrets: { resolve: () => Promise.reject(new Error('no secrets in this test')) } as unknown as NodeContext['secrets'],
    templates: new Map(),
  };
}

describe('when a Business hours node has no hours of its own', () => {
  it("follows the workspace's business hours in the workspace's time zone", () => {
    const workspace = { id: 'w', timezone: 'Europe/Paris', businessHours: SATURDAY_MORNINGS };
    // 2025-01-18 is a Saturday; Paris is UTC+1.
    expect(businessHoursExecutor({}, contextAt('2025-01-18T09:30:00Z', workspace))).toMatchObject({ port: 'open' });
    expect(businessHoursExecutor({}, contextAt('2025-01-18T11:30:00Z', workspace))).toMatchObject({ port: 'closed' });
    // Wednesday 10:00 in Paris: open by the default hours, closed by this workspace's.
    expect(businessHoursExecutor({}, contextAt('2025-01-15T09:00:00Z', workspace))).toMatchObject({ port: 'closed' });
  });

  it('uses Monday to Friday 09:00–17:00 while the workspace has set none', () => {
    const workspace = { id: 'w', timezone: 'UTC', businessHours: null };
    expect(businessHoursExecutor({}, contextAt('2025-01-15T10:00:00Z', workspace))).toMatchObject({ port: 'open' });
    expect(businessHoursExecutor({}, contextAt('2025-01-18T10:00:00Z', workspace))).toMatchObject({ port: 'closed' });
  });

  it("keeps its own hours over the workspace's when it has them", () => {
    const workspace = { id: 'w', timezone: 'UTC', businessHours: SATURDAY_MORNINGS };
    const own = { hours: WeeklyHoursSchema.parse({ wednesday: [{ from: '00:00', to: '24:00' }] }) };
    expect(businessHoursExecutor(own, contextAt('2025-01-15T03:00:00Z', workspace))).toMatchObject({ port: 'open' });
  });
});

describe('when a Delay waits until business hours open', () => {
  it("waits until the workspace's next opening", async () => {
    const workspace = { id: 'w', timezone: 'Europe/Paris', businessHours: SATURDAY_MORNINGS };
    const result = await delayExecutor({ mode: 'until_open' }, contextAt('2025-01-15T09:00:00Z', workspace));
    expect(result.wait).toEqual({ kind: 'timer', dueAt: '2025-01-18T09:00:00.000Z' });
  });

  it('is due at once while the hours are open, and continues when woken', async () => {
    const workspace = { id: 'w', timezone: 'Europe/Paris', businessHours: SATURDAY_MORNINGS };
    expect((await delayExecutor({ mode: 'until_open' }, contextAt('2025-01-18T10:00:00Z', workspace))).wait).toEqual({
      kind: 'timer',
      dueAt: '2025-01-18T10:00:00.000Z',
    });
    expect(
      await delayExecutor({ mode: 'until_open' }, { ...contextAt('2025-01-18T10:00:00Z', workspace), resume: { kind: 'timeout' } }),
    ).toEqual({ port: 'out' });
  });
});
