import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FAILURES_PER_IP } from '../api/auth/login-rate-limit.ts';
import type { OperatorConfig } from '../platform/config.ts';
import { buildHttpApp } from '../platform/runtime/api.role.ts';
import { pino } from 'pino';
import { createLogger } from '../platform/logger.ts';
import { newId } from '../platform/ids.ts';
import { createRedis } from '../platform/redis.ts';
import { openRuntime, type Runtime } from '../platform/runtime/runtime.ts';
import { seedDemo } from '../platform/seed/seed-demo.ts';
import { UsageRecorder } from '../platform/usage/usage-recorder.ts';
import { noPipelines } from './support/no-pipelines.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

const ADMIN_TOKEN = 'operator-token-0123456789';
const METRICS_TOKEN = 'metrics-token-0123456789';
const OPERATOR = { user: 'operator', password: 'operator-password-123' };
const WITH_OPERATOR: OperatorConfig = { token: ADMIN_TOKEN, basic: OPERATOR, metricsToken: METRICS_TOKEN };
const NO_OPERATOR: OperatorConfig = { token: null, basic: null, metricsToken: null };

let env: TestEnv;
let rt: Runtime;
/** The app with operator credentials set, as a production install would have. */
let server: Server;
let base: string;
/** The same app with no operator credential in its environment. */
let bare: { server: Server; base: string };
let ownerToken: string;
let otherOwnerToken: string;

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function appWith(operator: OperatorConfig): ReturnType<typeof buildHttpApp> {
  return buildHttpApp({ ...rt, config: { ...rt.config, operator } }, noPipelines, new UsageRecorder({ orm: rt.orm, logger: rt.logger }));
}

async function listen(app: ReturnType<typeof buildHttpApp>): Promise<{ server: Server; base: string }> {
  const s = app.listen(0, '127.0.0.1');
  await once(s, 'listening');
  return { server: s, base: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  env = await createTestEnv();
  rt = await openRuntime(env.config, createLogger('silent'));
  ({ server, base } = await listen(appWith(WITH_OPERATOR)));
  bare = await listen(appWith(NO_OPERATOR));
  const demo = await seedDemo(rt.orm, { email: 'owner@example.com', password: 'owner-password', clock: rt.clock });
  ownerToken = await rt.tokens.issue({ userId: demo.userId, workspaceId: demo.workspaceId, version: 0 });
  // A second tenant: anyone on the internet can sign up and own a workspace.
  const otherUserId = newId();
  const otherWorkspaceId = newId();
  const conn = rt.orm.em.fork().getConnection();
  await conn.execute(`insert into users (id, email, name, password_hash) values (?, 'stranger@example.com', 'Stranger', 'x')`, [
    otherUserId,
  ]);
  await conn.execute(`insert into workspaces (id, name) values (?, 'Stranger workspace')`, [otherWorkspaceId]);
  await conn.execute(`insert into memberships (id, workspace_id, user_id, role) values (?, ?, ?, 'owner')`, [
    newId(),
    otherWorkspaceId,
    otherUserId,
  ]);
  otherOwnerToken = await rt.tokens.issue({ userId: otherUserId, workspaceId: otherWorkspaceId, version: 0 });
  // A queue with a job in it, so that the depth gauges and the dashboard have something to show.
  await rt.queues.queue('ops-test').add('noop', { id: 1 });
});

afterAll(async () => {
  server?.close();
  bare?.server.close();
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
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
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
    const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    expect(text).toMatch(/^jobs_processed_total\{queue="ops-jobs"\} 1$/m);
    expect(text).toMatch(/^jobs_failed_total\{queue="ops-jobs"\} 1$/m);
    await worker.close();
  });
});

describe('who may read /metrics', () => {
  it('answers METRICS_TOKEN, ADMIN_TOKEN and the operator basic credentials', async () => {
    for (const authorization of [`Bearer ${METRICS_TOKEN}`, `Bearer ${ADMIN_TOKEN}`, basic(OPERATOR.user, OPERATOR.password)]) {
      const res = await fetch(`${base}/metrics`, { headers: { authorization } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('# TYPE http_requests_total counter');
    }
  });

  it('answers 401 in the error shape without credentials, with a wrong token and to a workspace owner', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer metrics-token-wrong-0123' },
      { authorization: `Bearer ${ownerToken}` },
      { authorization: basic(OPERATOR.user, 'wrong-password-123') },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${base}/metrics`, { headers });
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).error.code).toBe('unauthenticated');
    }
  });

  it('is not served at all when no operator credential is set', async () => {
    const res = await fetch(`${bare.base}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'route_not_found', message: 'no route GET /metrics' } });
  });
});

describe('/admin/queues', () => {
  describe('when a workspace owner tries it', () => {
    it('answers 401 to the owners of both workspaces, by Bearer header and by session cookie', async () => {
      for (const token of [ownerToken, otherOwnerToken]) {
        const sessions: Record<string, string>[] = [{ authorization: `Bearer ${token}` }, { cookie: `om_session=${token}` }];
        for (const headers of sessions) {
          const page = await fetch(`${base}/admin/queues`, { headers });
          expect(page.status).toBe(401);
          expect(((await page.json()) as any).error.code).toBe('unauthenticated');
          const list = await fetch(`${base}/admin/queues/api/queues`, { headers });
          expect(list.status).toBe(401);
        }
      }
    });

    it("cannot pause another tenant's queue through the dashboard's API", async () => {
      const queue = rt.queues.queue('ops-test');
      for (const token of [ownerToken, otherOwnerToken]) {
        const res = await fetch(`${base}/admin/queues/api/queues/ops-test/pause`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.status).toBe(401);
      }
      expect(await queue.isPaused()).toBe(false);
    });

    it('answers 404 like any unknown path when no operator credential is set', async () => {
      const dashboard = await fetch(`${bare.base}/admin/queues`, { headers: { authorization: `Bearer ${ownerToken}` } });
      const unknown = await fetch(`${bare.base}/admin/no-such-page`, { headers: { authorization: `Bearer ${ownerToken}` } });
      expect(dashboard.status).toBe(404);
      expect(unknown.status).toBe(404);
      expect(await dashboard.json()).toEqual({ error: { code: 'route_not_found', message: 'no route GET /admin/queues' } });
      expect(await unknown.json()).toEqual({ error: { code: 'route_not_found', message: 'no route GET /admin/no-such-page' } });
      const pause = await fetch(`${bare.base}/admin/queues/api/queues/ops-test/pause`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ownerToken}` },
      });
      expect(pause.status).toBe(404);
      expect(await rt.queues.queue('ops-test').isPaused()).toBe(false);
    });
  });

  describe('when the operator signs in', () => {
    it('asks a browser for basic credentials: 401 with a Basic challenge', async () => {
      const res = await fetch(`${base}/admin/queues`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Basic realm="OneMessage operator"');
    });

    it('shows the dashboard for ADMIN_TOKEN and for ADMIN_USER/ADMIN_PASSWORD', async () => {
      for (const authorization of [`Bearer ${ADMIN_TOKEN}`, basic(OPERATOR.user, OPERATOR.password)]) {
        const page = await fetch(`${base}/admin/queues`, { headers: { authorization } });
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<html');
        const list = await fetch(`${base}/admin/queues/api/queues`, { headers: { authorization } });
        expect(((await list.json()) as any).queues.map((q: { name: string }) => q.name)).toContain('ops-test');
      }
    });

    it('refuses a wrong token, a wrong password, a wrong user and METRICS_TOKEN', async () => {
      const wrong = [
        'Bearer operator-token-wrong-6789',
        `Bearer ${METRICS_TOKEN}`,
        basic(OPERATOR.user, 'operator-password-124'),
        basic('someone', OPERATOR.password),
        `Bearer ${ADMIN_TOKEN}x`,
      ];
      for (const authorization of wrong) {
        const res = await fetch(`${base}/admin/queues/api/queues`, { headers: { authorization } });
        expect(res.status).toBe(401);
        expect(((await res.json()) as any).error.code).toBe('unauthenticated');
      }
    });

    it('can pause and resume a queue', async () => {
      const queue = rt.queues.queue('ops-test');
      const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
      expect((await fetch(`${base}/admin/queues/api/queues/ops-test/pause`, { method: 'PUT', headers })).status).toBe(200);
      expect(await queue.isPaused()).toBe(true);
      expect((await fetch(`${base}/admin/queues/api/queues/ops-test/resume`, { method: 'PUT', headers })).status).toBe(200);
      expect(await queue.isPaused()).toBe(false);
    });

    it('stops an address that keeps guessing the operator password, while another address signs in', async () => {
      const guesser = { 'x-forwarded-for': '203.0.113.50' };
      for (let i = 0; i < MAX_FAILURES_PER_IP; i++) {
        const res = await fetch(`${base}/admin/queues/api/queues`, {
          headers: { ...guesser, authorization: basic(OPERATOR.user, `guess-${i}-password`) },
        });
        expect(res.status).toBe(401);
      }
      const stopped = await fetch(`${base}/admin/queues/api/queues`, {
        headers: { ...guesser, authorization: basic(OPERATOR.user, OPERATOR.password) },
      });
      expect(stopped.status).toBe(429);
      expect(Number(stopped.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await stopped.json()) as any).error.code).toBe('rate_limited');
      expect((await fetch(`${base}/metrics`, { headers: { ...guesser, authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(429);
      const operator = await fetch(`${base}/admin/queues/api/queues`, {
        headers: { 'x-forwarded-for': '198.51.100.60', authorization: basic(OPERATOR.user, OPERATOR.password) },
      });
      expect(operator.status).toBe(200);
    });

    it('lists a queue opened after the dashboard was mounted', async () => {
      rt.queues.queue('opened-later');
      const res = await fetch(`${base}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(((await res.json()) as any).queues.map((q: { name: string }) => q.name)).toContain('opened-later');
    });
  });
});

describe('the request log', () => {
  it('leaves out health probes that succeed, and keeps API calls', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const logged = await listen(
      buildHttpApp(
        { ...rt, logger, config: { ...rt.config, operator: NO_OPERATOR } },
        noPipelines,
        new UsageRecorder({ orm: rt.orm, logger: rt.logger }),
      ),
    );
    try {
      expect((await fetch(`${logged.base}/healthz`)).status).toBe(200);
      expect((await fetch(`${logged.base}/readyz`)).status).toBe(200);
      expect((await fetch(`${logged.base}/api/v1/flows`)).status).toBe(401);
      const routes = lines
        .map((l) => JSON.parse(l) as { msg: string; route?: string })
        .filter((l) => l.msg === 'request')
        .map((l) => l.route);
      expect(routes).toEqual(['/v1/flows']);
    } finally {
      logged.server.close();
    }
  });
});
