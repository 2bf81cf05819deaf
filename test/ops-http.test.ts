import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiPipelines } from '../platform/runtime/api.role.ts';
import { buildHttpApp } from '../platform/runtime/api.role.ts';
import { createLogger } from '../platform/logger.ts';
import { newId } from '../platform/ids.ts';
import { createRedis } from '../platform/redis.ts';
import { openRuntime, type Runtime } from '../platform/runtime/runtime.ts';
import { seedDemo } from '../platform/seed/seed-demo.ts';
import { UsageRecorder } from '../platform/usage/usage-recorder.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

/** The ops endpoints need no pipeline; any call to one is a test bug. */
const noPipelines: ApiPipelines = {
  inbound: { accept: () => Promise.reject(new Error('not in this test')) },
  outbound: { send: () => Promise.reject(new Error('not in this test')) },
  channels: { channelAdded: () => Promise.resolve() },
  flows: { changed: () => Promise.resolve() },
  flowWebhooks: { start: () => Promise.reject(new Error('not in this test')) },
};

let env: TestEnv;
let rt: Runtime;
let server: Server;
let base: string;
let ownerToken: string;
let agentToken: string;

async function listen(app: ReturnType<typeof buildHttpApp>): Promise<{ server: Server; base: string }> {
  const s = app.listen(0, '127.0.0.1');
  await once(s, 'listening');
  return { server: s, base: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  env = await createTestEnv();
  rt = await openRuntime(env.config, createLogger('silent'));
  const usage = new UsageRecorder({ orm: rt.orm, logger: rt.logger });
  ({ server, base } = await listen(buildHttpApp(rt, noPipelines, usage)));
  const demo = await seedDemo(rt.orm, { email: 'owner@example.com', password: 'owner-password', clock: rt.clock });
  ownerToken = await rt.tokens.issue({ userId: demo.userId, workspaceId: demo.workspaceId, version: 0 });
  const agentId = newId();
  const conn = rt.orm.em.fork().getConnection();
  await conn.execute(`insert into users (id, email, name, password_hash) values (?, 'agent@example.com', 'Agent', 'x')`, [agentId]);
  await conn.execute(`insert into memberships (id, workspace_id, user_id, role) values (?, ?, ?, 'agent')`, [newId(), demo.workspaceId, agentId]);
  agentToken = await rt.tokens.issue({ userId: agentId, workspaceId: demo.workspaceId, version: 0 });
  // A queue with a job in it, so that the depth gauges and the dashboard have something to show.
  await rt.queues.queue('ops-test').add('noop', { id: 1 });
});

afterAll(async () => {
  server?.close();
  await rt?.queues.close(1_000);
  await rt?.redis.quit();
  await rt?.orm.close();
  await env?.cleanup();
});

describe('GET /healthz', () => {
  it('answers 200 {status: ok} without asking any dependency', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});

describe('GET /readyz', () => {
  it('answers 200 when Postgres and Redis both answer', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });

  describe('when Redis is unreachable', () => {
    it('answers 503 naming redis as the failed dependency, in the error shape', async () => {
      const badRedis = createRedis('redis://127.0.0.1:1', { lazyConnect: true, retryStrategy: () => null });
      badRedis.on('error', () => undefined);
      const app = buildHttpApp({ ...rt, redis: badRedis }, noPipelines, new UsageRecorder({ orm: rt.orm, logger: rt.logger }));
      const bad = await listen(app);
      try {
        const started = Date.now();
        const res = await fetch(`${bad.base}/readyz`);
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(res.status).toBe(503);
        const body = (await res.json()) as any;
        expect(body.error.code).toBe('not_ready');
        expect(body.error.message).toBe('not ready: redis did not answer');
        expect(body.error.details.failed).toEqual([{ dependency: 'redis', reason: expect.any(String) }]);
      } finally {
        bad.server.close();
        badRedis.disconnect();
      }
    });
  });
});

describe('GET /metrics', () => {
  it('exposes request counters and durations by route pattern, queue depths, job counters and process metrics', async () => {
    await fetch(`${base}/healthz`);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/^http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]/m);
    expect(text).toMatch(/^http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/healthz"\} /m);
    expect(text).toMatch(/^queue_jobs\{queue="ops-test",state="waiting"\} 1$/m);
    expect(text).toContain('# TYPE jobs_processed_total counter');
    expect(text).toContain('# TYPE jobs_failed_total counter');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('counts jobs that workers completed and failed', async () => {
    const done = rt.queues.queue('ops-jobs');
    const worker = rt.queues.worker('ops-jobs', async (job) => {
      if (job.data && (job.data as { fail?: boolean }).fail) throw new Error('planned failure');
    });
    const finished = new Promise<void>((resolve) => {
      let n = 0;
      const tick = () => ++n === 2 && resolve();
      worker.on('completed', tick);
      worker.on('failed', tick);
    });
    await done.add('ok', {});
    await done.add('bad', { fail: true });
    await finished;
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^jobs_processed_total\{queue="ops-jobs"\} 1$/m);
    expect(text).toMatch(/^jobs_failed_total\{queue="ops-jobs"\} 1$/m);
    await worker.close();
  });
});

describe('/admin/queues', () => {
  it('answers 401 in the error shape without credentials', async () => {
    const res = await fetch(`${base}/admin/queues`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.code).toBe('unauthenticated');
  });

  it('answers 403 to an agent', async () => {
    const res = await fetch(`${base}/admin/queues`, { headers: { authorization: `Bearer ${agentToken}` } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error.code).toBe('forbidden');
  });

  it('shows the dashboard to the owner, with the session cookie as well as the Bearer header', async () => {
    const byHeader = await fetch(`${base}/admin/queues`, { headers: { authorization: `Bearer ${ownerToken}` } });
    expect(byHeader.status).toBe(200);
    expect(await byHeader.text()).toContain('<html');
    const byCookie = await fetch(`${base}/admin/queues/api/queues`, { headers: { cookie: `om_session=${ownerToken}` } });
    expect(byCookie.status).toBe(200);
    const names = ((await byCookie.json()) as any).queues.map((q: { name: string }) => q.name);
    expect(names).toContain('ops-test');
  });

  it('lists a queue opened after the dashboard was mounted', async () => {
    rt.queues.queue('opened-later');
    const res = await fetch(`${base}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${ownerToken}` } });
    expect(((await res.json()) as any).queues.map((q: { name: string }) => q.name)).toContain('opened-later');
  });
});
