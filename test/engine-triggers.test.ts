import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doc, edge, node } from '../engine/flows/flow-document.fixture.ts';
import { generateRandomToken } from '../api/auth/random-token.ts';
import { SCHEDULE_QUEUE } from '../platform/automation/triggered-runs.ts';
import { testSql } from './support/test-sql.ts';
import { eventually } from './support/eventually.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { publishFlow } from './support/publish-flow.ts';

let api: TestApi;
let workspaceId: string;
let schedules: Queue;

async function sql<T = any>(query: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(api.env.orm.em.fork(), query, bindings)).rows;
}

beforeAll(async () => {
  api = await startTestApi();
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'triggers@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Triggers',
  });
  workspaceId = signup.body.workspace.id;
  schedules = new Queue(SCHEDULE_QUEUE, { connection: api.env.redis, prefix: api.env.config.redisPrefix });
});

afterAll(async () => {
  await schedules?.close();
  await api?.close();
});

describe("when an outside system posts to a flow's inbound webhook", () => {
  it('starts a run whose trigger input is the JSON body', async () => {
    const { flowId } = await publishFlow(
      api,
      workspaceId,
      doc(
        [node('hook', 'inbound_webhook'), node('keep', 'set_contact_attribute', { key: 'x', value: '{{trigger.body.order}}' })],
        [edge('hook', 'out', 'keep')],
      ),
    );
    const { token, hash } = generateRandomToken();
    await sql(`update flows set webhook_token_hash = :hash where id = :flowId`, { hash, flowId });
    const res = await api.client.post(`/hooks/flows/${flowId}/${token}`, { order: 'A-17' });
    expect(res.status).toBe(202);
    const [run] = await sql(`select status, trigger from runs where id = :id`, { id: res.body.runId });
    expect(run.trigger).toEqual({ kind: 'webhook', body: { order: 'A-17' } });
    // The run has no contact, so the attribute step records that it could not apply.
    const steps = await sql(`select node_id, output from run_steps where run_id = :id order by seq`, { id: res.body.runId });
    expect(steps.map((s: any) => s.node_id)).toEqual(['hook', 'keep']);
    expect(steps[1].output.effects[0]).toEqual({ kind: 'set_attribute', applied: false, reason: 'the run has no contact' });
  });

  it('answers 404 for a wrong token, an unknown flow or a malformed URL, and starts nothing', async () => {
    const { flowId } = await publishFlow(
      api,
      workspaceId,
      doc([node('hook', 'inbound_webhook'), node('end', 'end')], [edge('hook', 'out', 'end')]),
    );
    const { hash } = generateRandomToken();
    await sql(`update flows set webhook_token_hash = :hash where id = :flowId`, { hash, flowId });
    const wrong = generateRandomToken().token;
    for (const path of [
      `/hooks/flows/${flowId}/${wrong}`,
      `/hooks/flows/01900000-0000-7000-8000-000000000000/${wrong}`,
      `/hooks/flows/not-a-flow/short`,
    ]) {
      const res = await api.client.post(path, { a: 1 });
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect(await sql(`select id from runs where flow_id = :flowId`, { flowId })).toEqual([]);
  });

  it('refuses malformed JSON and oversized bodies with the API error shape', async () => {
    const { flowId } = await publishFlow(
      api,
      workspaceId,
      doc([node('hook', 'inbound_webhook'), node('end', 'end')], [edge('hook', 'out', 'end')]),
    );
    const { token, hash } = generateRandomToken();
    await sql(`update flows set webhook_token_hash = :hash where id = :flowId`, { hash, flowId });
    const malformed = await api.client.request('post', `/hooks/flows/${flowId}/${token}`, undefined, { rawBody: '{"a":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');
    const big = await api.client.post(`/hooks/flows/${flowId}/${token}`, { pad: 'x'.repeat(300 * 1024) });
    expect(big.status).toBe(413);
  });
});

describe('when a flow with a schedule trigger is published', () => {
  it('keeps one job scheduler per trigger with its cron and time zone, starts runs when it fires, and removes it on deactivation', async () => {
    const { flowId } = await publishFlow(
      api,
      workspaceId,
      doc([node('tick', 'schedule', { cron: '0 9 * * MON', timezone: 'Europe/Paris' }), node('end', 'end')], [edge('tick', 'out', 'end')]),
    );
    const id = `schedule:${workspaceId}:${flowId}:tick`;
    const scheduler = (await schedules.getJobSchedulers(0, -1)).find((s) => s.key === id);
    expect(scheduler).toMatchObject({ pattern: '0 9 * * MON', tz: 'Europe/Paris' });
    // Publishing again does not add a second scheduler.
    await api.process.engine.flowsChanged(workspaceId);
    expect((await schedules.getJobSchedulers(0, -1)).filter((s) => s.key === id)).toHaveLength(1);

    // Fire it now instead of waiting for Monday 09:00 Paris time.
    const [next] = (await schedules.getDelayed()).filter((j) => j.data.flowId === flowId);
    await next!.promote();
    const [run] = await eventually(async () => {
      const rows = await sql(`select status, trigger from runs where flow_id = :flowId`, { flowId });
      return rows.length ? rows : undefined;
    });
    expect(run.status).toBe('completed');
    expect(run.trigger.kind).toBe('schedule');

    await sql(`update flows set active = false where id = :flowId`, { flowId });
    await api.process.engine.flowsChanged(workspaceId);
    expect((await schedules.getJobSchedulers(0, -1)).find((s) => s.key === id)).toBeUndefined();
  });
});
