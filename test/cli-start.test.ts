import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase } from '../platform/db/ensure-database.ts';
import { createRedis } from '../platform/redis.ts';
import { cliEnv, collect, freePort, spawnCli, waitForStatus } from './support/cli-process.ts';
import { eventually } from './support/eventually.ts';
import { TEST_REDIS_URL } from './support/test-env.ts';

const READY_WITHIN_MS = 60_000;
const SHUTDOWN_WITHIN_MS = 10_000;

/** /metrics is served to the operator only; a scraper sends this. */
const METRICS_TOKEN = 'cli-start-metrics-token';
// Info level: the shutdown test reads the step logs.
const { env, databaseUrl } = cliEnv({ LOG_LEVEL: 'info', METRICS_TOKEN });
let child: ChildProcess;
let output: () => { stdout: string; stderr: string };
let base: string;
let readyAfterMs: number;

beforeAll(async () => {
  const port = await freePort();
  env.PORT = String(port);
  base = `http://127.0.0.1:${port}`;
  child = spawnCli(['start'], env);
  output = collect(child);
  readyAfterMs = await waitForStatus(`${base}/readyz`, 200, READY_WITHIN_MS, child);
}, READY_WITHIN_MS + 5_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  await dropDatabase(databaseUrl);
  const redis = createRedis(TEST_REDIS_URL);
  const keys = await redis.keys(`${env.REDIS_PREFIX}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('when `onemessage start` runs against a database that does not exist yet', () => {
  it('creates and migrates it and answers /readyz 200 within 60 s', () => {
    expect(readyAfterMs).toBeLessThan(READY_WITHIN_MS);
  });

  it('seeds a demo workspace whose user can log in with DEMO_EMAIL and DEMO_PASSWORD', async () => {
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'demo@onemessage.local', password: 'onemessage-demo' }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.workspace.name).toBe('Demo workspace');
    expect(body.role).toBe('owner');
    const channels = await fetch(`${base}/api/v1/channels`, { headers: { authorization: `Bearer ${body.token}` } });
    expect(((await channels.json()) as any).items).toEqual([
      expect.objectContaining({ kind: 'sandbox', name: 'Demo sandbox', status: 'connected' }),
    ]);
  });

  it('serves the editor (or how to build it) at /, /healthz and the metrics of the requests it answered', async () => {
    expect((await fetch(`${base}/`)).status).toBe(200);
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const metrics = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    expect(metrics).toMatch(/http_requests_total\{method="POST",route="\/v1\/auth\/login",status="200"\} 1/);
  });

  it('logs structured JSON lines and nothing on stderr', () => {
    const { stdout, stderr } = output();
    expect(stderr).toBe('');
    for (const line of stdout.trim().split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('records a usage event for the API requests, in a batch', async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      // Written within a second by the batch timer.
      const rows = await eventually(
        async () => {
          const found: { path: string }[] = (await client.query(`select path from usage_events where path like '%/v1/auth/login'`)).rows;
          return found.length ? found : undefined;
        },
        { timeoutMs: 5_000, intervalMs: 200, what: 'the usage event of the login' },
      );
      expect(rows).toHaveLength(1);
    } finally {
      await client.end();
    }
  });

  it('exits 0 within 10 s of SIGTERM, having logged each shutdown step', async () => {
    const started = Date.now();
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    const elapsed = Date.now() - started;
    expect(code).toBe(0);
    expect(elapsed).toBeLessThan(SHUTDOWN_WITHIN_MS);
    const { stdout } = output();
    expect(stdout).toContain('shutdown: stop accepting HTTP connections');
    expect(stdout).toContain('shutdown: close the database pool done');
    expect(stdout).toContain('"msg":"shutdown: complete"');
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
