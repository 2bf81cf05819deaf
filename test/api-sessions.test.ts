import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAIR_FREE_FAILURES } from '../api/auth/login-rate-limit.ts';
import { newId } from '../platform/ids.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiResponse } from './support/api-client.ts';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});

afterAll(async () => {
  await api?.close();
});

const PASSWORD = 'the first password';

/** Signs a new user up; returns their email, their workspace and the signup's token. */
async function newUser(name: string): Promise<{ email: string; workspaceId: string; token: string }> {
  const email = `${name}-${newId()}@example.com`;
  const res = await api.client.post('/api/v1/auth/signup', { email, password: PASSWORD, name, workspaceName: `${name}'s workspace` });
  expect(res.status).toBe(201);
  return { email, workspaceId: res.body.workspace.id, token: res.body.token };
}

/** Logs in from a given client address (the app trusts X-Forwarded-For from loopback, as from a local proxy). */
function login(email: string, password: string, from = '192.0.2.1', workspaceId?: string): Promise<ApiResponse> {
  return api.client.request(
    'post',
    '/api/v1/auth/login',
    { email, password, ...(workspaceId ? { workspaceId } : {}) },
    { headers: { 'x-forwarded-for': from } },
  );
}

async function tokenOf(email: string, password = PASSWORD, workspaceId?: string): Promise<string> {
  const res = await login(email, password, '192.0.2.1', workspaceId);
  expect(res.status).toBe(200);
  return res.body.token;
}

const meWith = (token: string) => api.client.as(token).get('/api/v1/auth/me');

/** The cookies a response sets, by name: the value and the raw attributes. */
function cookiesOf(res: ApiResponse): Map<string, { value: string; attributes: string }> {
  return new Map(
    res.headers.getSetCookie().map((line) => {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      return [pair!.slice(0, eq), { value: decodeURIComponent(pair!.slice(eq + 1)), attributes: attributes.join(';') }];
    }),
  );
}

function expectEnded(res: ApiResponse): void {
  expect(res.status).toBe(401);
  expect(res.body.error.code).toBe('unauthenticated');
  expect(res.body.error.message).toMatch(/log in again$/);
}

describe('when a user logs out', () => {
  it('ends that token only, and another session of the same user keeps working', async () => {
    const { email } = await newUser('leo');
    const [first, second] = [await tokenOf(email), await tokenOf(email)];
    const out = await api.client.as(first).post('/api/v1/auth/logout');
    expect(out.status).toBe(204);
    const after = await meWith(first);
    expectEnded(after);
    expect(after.body.error.message).toBe('this session was logged out; log in again');
    expect((await meWith(second)).status).toBe(200);
  });

  it('clears the session and CSRF cookies', async () => {
    const { email } = await newUser('cleo');
    const out = await api.client.as(await tokenOf(email)).post('/api/v1/auth/logout');
    const cookies = cookiesOf(out);
    for (const name of ['om_session', 'om_csrf']) {
      expect(cookies.get(name)?.value, name).toBe('');
      expect(cookies.get(name)?.attributes, name).toMatch(/Expires=Thu, 01 Jan 1970/);
    }
  });

  it('refuses an API key, which is revoked rather than logged out', async () => {
    const { token } = await newUser('kay');
    const key = await api.client.as(token).post('/api/v1/api-keys', { name: 'script', role: 'admin' });
    const res = await api.client.as(key.body.secret).post('/api/v1/auth/logout');
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain('DELETE /api/v1/api-keys/:id');
    expect((await api.client.as(key.body.secret).get('/api/v1/channels')).status).toBe(200);
  });
});

describe('when a user logs out everywhere', () => {
  it('ends every earlier session of the user, in every workspace, while a new login works', async () => {
    const owner = await newUser('olga');
    const { email, workspaceId } = await newUser('max');
    // Max also belongs to Olga's workspace, as after accepting an invitation.
    await runSql(
      api.env.orm.em.fork(),
      `insert into memberships (id, workspace_id, user_id, role) select :id, :workspaceId, id, 'agent' from users where email = :email`,
      { id: newId(), workspaceId: owner.workspaceId, email },
    );
    const [inOwn, inOlgas] = [await tokenOf(email), await tokenOf(email, PASSWORD, owner.workspaceId)];
    expect((await meWith(inOlgas)).body.workspace.id).toBe(owner.workspaceId);
    const res = await api.client.as(inOwn).post('/api/v1/auth/logout-all');
    expect(res.status).toBe(204);
    expect(cookiesOf(res).get('om_session')?.value).toBe('');
    for (const token of [inOwn, inOlgas]) {
      const after = await meWith(token);
      expectEnded(after);
      expect(after.body.error.message).toBe(
        'this session has ended (the password was changed or every session was logged out); log in again',
      );
    }
    const fresh = await tokenOf(email);
    expect((await meWith(fresh)).body.workspace.id).toBe(workspaceId);
    expect((await meWith(owner.token)).status).toBe(200);
  });
});

describe('when a user changes their password', () => {
  it('ends every other session, answers a working token for this one, and only the new password logs in', async () => {
    const { email, token: other } = await newUser('pat');
    const current = await tokenOf(email);
    const res = await api.client.as(current).post('/api/v1/auth/password', { current: PASSWORD, next: 'the second password' });
    expect(res.status).toBe(200);
    expect(res.body.user.email).toBe(email);
    expect(cookiesOf(res).get('om_session')?.value).toBe(res.body.token);
    expectEnded(await meWith(current));
    expectEnded(await meWith(other));
    expect((await meWith(res.body.token)).status).toBe(200);
    expect((await login(email, PASSWORD, '192.0.2.50')).status).toBe(401);
    expect((await login(email, 'the second password', '192.0.2.50')).status).toBe(200);
  });

  it('audits the change without either password', async () => {
    const { email } = await newUser('audra');
    const token = await tokenOf(email);
    const changed = await api.client.as(token).post('/api/v1/auth/password', { current: PASSWORD, next: 'audited new password' });
    const log = await api.client.as(changed.body.token).get('/api/v1/audit-log');
    const entry = log.body.items.find((e: any) => e.action === 'user.password_changed');
    expect(entry).toMatchObject({ actorKind: 'user', targetKind: 'user', targetId: changed.body.user.id });
    const rows = await runSql(
      api.env.orm.em.fork(),
      `select row_to_json(a)::text as row from audit_log a where action = 'user.password_changed'`,
    );
    expect(JSON.stringify(rows.rows)).not.toMatch(/audited new password|the first password/);
  });

  it('refuses a wrong current password with 403, and the session goes on', async () => {
    const { email } = await newUser('wren');
    const token = await tokenOf(email);
    const res = await api.client.as(token).post('/api/v1/auth/password', { current: 'not my password', next: 'whatever new password' });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'wrong_password', message: 'the current password is wrong; type it again' });
    expect((await meWith(token)).status).toBe(200);
  });

  it('refuses a new password that is short or the same as the current one', async () => {
    const { token } = await newUser('sam');
    const same = await api.client.as(token).post('/api/v1/auth/password', { current: PASSWORD, next: PASSWORD });
    expect(same.status).toBe(400);
    expect(same.body.error.details).toContainEqual({ path: 'next', message: 'choose a password different from the current one' });
    const short = await api.client.as(token).post('/api/v1/auth/password', { current: PASSWORD, next: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.error.details).toContainEqual({ path: 'next', message: 'use at least 8 characters' });
    expect((await meWith(token)).status).toBe(200);
  });

  it('throttles guesses of the current password like logins', async () => {
    const { token } = await newUser('gus');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push(
        (await api.client.as(token).post('/api/v1/auth/password', { current: `guess ${i}`, next: 'a new long password' })).status,
      );
    expect(statuses).toEqual([403, 403, 403, 403, 403, 429, 429]);
  });
});

describe('when an admin removes a member', () => {
  it("ends the member's sessions, which stay ended if the member is added again", async () => {
    const owner = await newUser('ruth');
    const { email } = await newUser('rex');
    const db = api.env.orm.em.fork();
    const addRex = () =>
      runSql(
        db,
        `insert into memberships (id, workspace_id, user_id, role) select :id, :workspaceId, id, 'marketer' from users where email = :email`,
        { id: newId(), workspaceId: owner.workspaceId, email },
      );
    await addRex();
    const kept = await tokenOf(email, PASSWORD, owner.workspaceId);
    expect((await api.client.as(kept).get('/api/v1/channels')).status).toBe(200);
    const members = await api.client.as(owner.token).get('/api/v1/members');
    const rex = members.body.items.find((m: any) => m.email === email);
    expect((await api.client.as(owner.token).delete(`/api/v1/members/${rex.id}`)).status).toBe(204);
    await addRex();
    expectEnded(await api.client.as(kept).get('/api/v1/channels'));
    expect((await api.client.as(await tokenOf(email, PASSWORD, owner.workspaceId)).get('/api/v1/channels')).status).toBe(200);
  });
});

describe('when the editor calls the API with its session cookie', () => {
  async function browserSession() {
    const { email } = await newUser('bea');
    const res = await login(email, PASSWORD);
    const cookies = cookiesOf(res);
    return {
      cookies,
      header: `om_session=${cookies.get('om_session')!.value}; om_csrf=${cookies.get('om_csrf')!.value}`,
      csrf: cookies.get('om_csrf')!.value,
      token: res.body.token as string,
    };
  }
  const channel = { kind: 'sandbox', name: 'Cookie line' };

  it('sets an httpOnly, SameSite=Strict session cookie and a readable CSRF cookie for the whole site', async () => {
    const { cookies, token } = await browserSession();
    expect(cookies.get('om_session')!.value).toBe(token);
    expect(cookies.get('om_session')!.attributes).toMatch(/Path=\/;.*HttpOnly.*SameSite=Strict/);
    expect(cookies.get('om_session')!.attributes).not.toMatch(/Secure/);
    expect(cookies.get('om_csrf')!.attributes).toMatch(/Path=\/;.*SameSite=Strict/);
    expect(cookies.get('om_csrf')!.attributes).not.toMatch(/HttpOnly/);
  });

  it('marks the cookies Secure when the request came over HTTPS through a local proxy', async () => {
    const { email } = await newUser('tls');
    const res = await api.client.request(
      'post',
      '/api/v1/auth/login',
      { email, password: PASSWORD },
      { headers: { 'x-forwarded-proto': 'https' } },
    );
    for (const name of ['om_session', 'om_csrf']) expect(cookiesOf(res).get(name)!.attributes, name).toMatch(/Secure/);
  });

  it('reads with the cookie alone', async () => {
    const { header } = await browserSession();
    const res = await api.client.request('get', '/api/v1/channels', undefined, { headers: { cookie: header } });
    expect(res.status).toBe(200);
  });

  it('refuses a state-changing request without the CSRF token in its header', async () => {
    const { header, csrf } = await browserSession();
    const missing = await api.client.request('post', '/api/v1/channels', channel, { headers: { cookie: header } });
    expect(missing.status).toBe(403);
    expect(missing.body.error.code).toBe('csrf_token_invalid');
    expect(missing.body.error.message).toContain('X-CSRF-Token');
    const wrong = await api.client.request('post', '/api/v1/channels', channel, {
      headers: { cookie: header, 'x-csrf-token': `${csrf.slice(1)}x` },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('csrf_token_invalid');
  });

  it('accepts it with the CSRF cookie echoed in X-CSRF-Token', async () => {
    const { header, csrf } = await browserSession();
    const res = await api.client.request('post', '/api/v1/channels', channel, { headers: { cookie: header, 'x-csrf-token': csrf } });
    expect(res.status).toBe(201);
  });

  it('needs no CSRF token with a Bearer header, which wins over a cookie', async () => {
    const { header } = await browserSession();
    const other = await newUser('ben');
    const res = await api.client.as(other.token).request('post', '/api/v1/channels', channel, { headers: { cookie: header } });
    expect(res.status).toBe(201);
    const me = await api.client.as(other.token).request('get', '/api/v1/auth/me', undefined, { headers: { cookie: header } });
    expect(me.body.workspace.id).toBe(other.workspaceId);
  });

  it('logs out with the cookie, after which the cookie no longer works', async () => {
    const { header, csrf } = await browserSession();
    const out = await api.client.request('post', '/api/v1/auth/logout', undefined, { headers: { cookie: header, 'x-csrf-token': csrf } });
    expect(out.status).toBe(204);
    expectEnded(await api.client.request('get', '/api/v1/auth/me', undefined, { headers: { cookie: header } }));
  });
});

describe('when someone guesses the password of an account from one address', () => {
  it('slows that address down, while the right password from another address logs in', async () => {
    const { email } = await newUser('vic');
    const attacker = '203.0.113.7';
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await login(email, `guess number ${i}`, attacker)).status);
    expect(statuses.slice(0, 5)).toEqual(Array(5).fill(401));
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));
    const blocked = await login(email, PASSWORD, attacker);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await login(email, PASSWORD, '198.51.100.20')).status).toBe(200);
  });

  // Regression: the limiter read the counters, then the password was checked, then the failure
  // was counted; guesses sent at once all passed the read before any was counted.
  it('lets no more guesses through when they are sent all at once', async () => {
    const { email } = await newUser('ray');
    const guesses = await Promise.all(Array.from({ length: 20 }, (_, i) => login(email, `guess number ${i}`, '203.0.113.8')));
    const statuses = guesses.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(PAIR_FREE_FAILURES).fill(401), ...Array(20 - PAIR_FREE_FAILURES).fill(429)]);
    expect((await login(email, PASSWORD, '198.51.100.21')).status).toBe(200);
  });

  // Regression: the limits were keyed on the full address, and one IPv6 host is given a /64 (2^64
  // addresses): changing the address for each guess dodged every per-address limit.
  it('counts every address of one IPv6 /64 network as one address', async () => {
    const { email } = await newUser('ivy');
    const statuses: number[] = [];
    for (let i = 1; i <= 8; i++) statuses.push((await login(email, `guess number ${i}`, `2001:db8:7:9::${i.toString(16)}`)).status);
    expect(statuses).toEqual([...Array(PAIR_FREE_FAILURES).fill(401), ...Array(8 - PAIR_FREE_FAILURES).fill(429)]);
    expect((await login(email, PASSWORD, '2001:db8:7:a::1')).status).toBe(200);
  });

  it('does not let signups with the email count against its owner', async () => {
    const { email } = await newUser('sue');
    const prober = '203.0.113.99';
    for (let i = 0; i < 10; i++) {
      const res = await api.client.request(
        'post',
        '/api/v1/auth/signup',
        { email, password: 'some password', name: 'X', workspaceName: 'X' },
        { headers: { 'x-forwarded-for': prober } },
      );
      expect(res.status).toBe(409);
    }
    expect((await login(email, PASSWORD, prober)).status).toBe(200);
  });
});
