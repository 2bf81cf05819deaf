import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient, ApiResponse } from './support/api-client.ts';
import { startOwnPostgres, type OwnPostgres } from './support/own-services.ts';

// While PostgreSQL restarts, every route answers 503 `unavailable` with Retry-After (never a
// 500 `internal`), and /readyz says the database is not answering; afterwards all is well again
// (regression: the inbound route answered 116 × 500 during a restart).

let pg: OwnPostgres;
let api: TestApi;
let owner: ApiClient;
let channelId: string;

beforeAll(async () => {
  pg = await startOwnPostgres('om_faults');
  api = await startTestApi({ DATABASE_URL: `${pg.baseUrl}/onemessage_outage` });
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'outage@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Outage',
  });
  owner = api.client.as(signup.body.token);
  channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' })).body.id;
}, 120_000);

afterAll(async () => {
  await pg?.start().catch(() => undefined);
  await api?.close();
  await pg?.drop();
}, 60_000);

let seq = 0;
function inbound(): Promise<ApiResponse> {
  seq += 1;
  return owner.post(`/api/v1/channels/${channelId}/sandbox/inbound`, {
    from: `+1555${String(4_100_000 + seq).padStart(7, '0')}`,
    text: 'hello',
    id: `outage-${seq}`,
  });
}

function expectUnavailable(res: ApiResponse, what: string): void {
  expect({ what, status: res.status, code: res.body?.error?.code }).toEqual({ what, status: 503, code: 'unavailable' });
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('while PostgreSQL is down', () => {
  it('answers 503 unavailable with Retry-After on every route, and /readyz says so', async () => {
    expect((await inbound()).status).toBe(202);
    await pg.stop('fast');
    for (let i = 0; i < 3; i++) {
      expectUnavailable(await inbound(), 'sandbox inbound');
      expectUnavailable(await owner.get('/api/v1/channels'), 'channel list');
      expectUnavailable(await api.client.post('/api/v1/auth/login', { email: 'outage@example.com', password: 'password-123' }), 'login');
      const ready = await api.client.get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.error.details.failed.map((f: { dependency: string }) => f.dependency)).toEqual(['postgres']);
      expect(Number(ready.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    await pg.start();
    await eventually(async () => ((await api.client.get('/readyz')).status === 200 ? true : undefined), 30_000);
    expect((await inbound()).status).toBe(202);
    expect((await owner.get('/api/v1/channels')).status).toBe(200);
  }, 90_000);

  it('answers 503 while the server is shutting down with clients connected (terminating connection due to administrator command)', async () => {
    // Requests in flight while a fast shutdown terminates their connections.
    const during = Array.from(
      { length: 20 },
      (_, i) => new Promise<ApiResponse>((resolve) => setTimeout(() => resolve(inbound()), i * 25)),
    );
    await pg.stop('fast');
    for (const res of await Promise.all(during)) {
      if (res.status !== 202) expectUnavailable(res, 'inbound during shutdown');
    }
    await pg.start();
    await eventually(async () => ((await inbound()).status === 202 ? true : undefined), 30_000);
  }, 90_000);
});
