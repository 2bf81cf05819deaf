import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { inviteMember } from './support/invite-member.ts';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});

afterAll(async () => {
  await api?.close();
});

describe('when someone signs up', () => {
  it('creates the user, an owned workspace and a working token', async () => {
    const res = await api.client.post('/api/v1/auth/signup', {
      email: 'Ada@Example.com',
      password: 'a long password',
      name: 'Ada',
      workspaceName: 'Ada Co',
    });
    expect(res.status).toBe(201);
    expect(res.body.user.email).toBe('ada@example.com');
    expect(res.body.workspace.name).toBe('Ada Co');
    expect(res.body.role).toBe('owner');
    const me = await api.client.as(res.body.token).get('/api/v1/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.workspace.id).toBe(res.body.workspace.id);
    expect(me.body.role).toBe('owner');
  });

  it('stores the password hashed with scrypt, never in clear', async () => {
    const em = api.env.orm.em.fork();
    const [row] = (await em.getConnection().execute(`select password_hash from users where email = 'ada@example.com'`)) as any[];
    expect(row.password_hash).toMatch(/^scrypt\$15\$8\$1\$/);
    expect(row.password_hash).not.toContain('a long password');
  });

  it('refuses a second account with the same email in any case', async () => {
    const res = await api.client.post('/api/v1/auth/signup', {
      email: 'ADA@example.com',
      password: 'another password',
      name: 'Ada 2',
      workspaceName: 'Other',
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
  });

  it('refuses a short password with a message on the field', async () => {
    const res = await api.client.post('/api/v1/auth/signup', {
      email: 'bob@example.com',
      password: 'short',
      name: 'Bob',
      workspaceName: 'Bob Co',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details).toContainEqual({ path: 'password', message: 'use at least 8 characters' });
  });
});

describe('when someone logs in', () => {
  it('returns a token for the right password', async () => {
    const res = await api.client.post('/api/v1/auth/login', { email: 'ada@example.com', password: 'a long password' });
    expect(res.status).toBe(200);
    expect(typeof res.body.token).toBe('string');
    expect(res.headers.get('set-cookie')).toMatch(/om_session=.*Path=\/;.*HttpOnly/i);
  });

  it('answers the same 401 for a wrong password and an unknown email', async () => {
    const wrong = await api.client.post('/api/v1/auth/login', { email: 'ada@example.com', password: 'not the password' });
    const unknown = await api.client.post('/api/v1/auth/login', { email: 'nobody@example.com', password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('slows repeated failures for one email from one address, then tells when to retry', async () => {
    await api.client.post('/api/v1/auth/signup', {
      email: 'target@example.com',
      password: 'the real password',
      name: 'T',
      workspaceName: 'T',
    });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await api.client.post('/api/v1/auth/login', { email: 'target@example.com', password: `guess-${i}-xxxx` })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const blocked = await api.client.post('/api/v1/auth/login', { email: 'target@example.com', password: 'the real password' });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('rate_limited');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('when a request carries bad credentials', () => {
  it.each([
    ['no header', {}],
    ['a malformed header', { authorization: 'Token abc' }],
    ['a forged token', { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' }],
    ['an unknown API key', { authorization: 'Bearer om_notarealkeyatall' }],
  ])('answers 401 for %s', async (_name, headers) => {
    const res = await api.client.request('get', '/api/v1/channels', undefined, { headers: headers as Record<string, string> });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });
});

describe('when API keys are used as bearer tokens', () => {
  it('works until revoked, and the secret is shown only once', async () => {
    const login = await api.client.post('/api/v1/auth/login', { email: 'ada@example.com', password: 'a long password' });
    const owner = api.client.as(login.body.token);
    const created = await owner.post('/api/v1/api-keys', { name: 'CI', role: 'marketer' });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^om_/);
    const list = await owner.get('/api/v1/api-keys');
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
    const byKey = api.client.as(created.body.secret);
    expect((await byKey.get('/api/v1/channels')).status).toBe(200);
    const [row] = (await api.env.orm.em
      .fork()
      .getConnection()
      .execute(`select key_hash from api_keys where id = ?`, [created.body.id])) as any[];
    expect(row.key_hash).not.toContain(created.body.secret);
    expect((await owner.delete(`/api/v1/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await byKey.get('/api/v1/channels')).status).toBe(401);
  });

  it('cannot be created with more rights than its creator', async () => {
    const login = await api.client.post('/api/v1/auth/login', { email: 'ada@example.com', password: 'a long password' });
    const owner = api.client.as(login.body.token);
    const admin = await inviteMember(owner, { email: 'admin@example.com', role: 'admin', name: 'Adm', password: 'admin password' });
    const res = await admin.client.post('/api/v1/api-keys', { name: 'too strong', role: 'owner' });
    expect(res.status).toBe(400);
  });
});

describe('when roles differ', () => {
  it('lets an agent read and reply but not manage channels, members or keys', async () => {
    const login = await api.client.post('/api/v1/auth/login', { email: 'ada@example.com', password: 'a long password' });
    const owner = api.client.as(login.body.token);
    const agent = (await inviteMember(owner, { email: 'agent@example.com', role: 'agent', name: 'Agent', password: 'agent password' }))
      .client;
    expect((await agent.get('/api/v1/channels')).status).toBe(200);
    expect((await agent.get('/api/v1/conversations')).status).toBe(200);
    for (const [method, path, body] of [
      ['post', '/api/v1/channels', { kind: 'sandbox', name: 'x' }],
      ['post', '/api/v1/invitations', { email: 'x@example.com', role: 'agent' }],
      ['get', '/api/v1/invitations', undefined],
      ['get', '/api/v1/api-keys', undefined],
      ['patch', '/api/v1/workspace', { name: 'hijacked' }],
      ['get', '/api/v1/audit-log', undefined],
    ] as const) {
      const res = await agent.request(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
  });

  it('lets an agent rename a contact and record an opt-out, but not change what targets broadcasts: tags, attributes, restriction, clearing an opt-out', async () => {
    const login = await api.client.post('/api/v1/auth/login', { email: 'ada@example.com', password: 'a long password' });
    const owner = api.client.as(login.body.token);
    const channel = await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'contacts roles' });
    const inbound = await owner.post(`/api/v1/channels/${channel.body.id}/sandbox/inbound`, {
      from: '+15550001234',
      text: 'hi',
      name: 'Sam',
    });
    const contactPath = `/api/v1/contacts/${inbound.body.contactId}`;
    const agent = (
      await inviteMember(owner, { email: 'contact-agent@example.com', role: 'agent', name: 'Agent', password: 'agent password' })
    ).client;
    const marketer = (
      await inviteMember(owner, {
        email: 'contact-marketer@example.com',
        role: 'marketer',
        name: 'Marketer',
        password: 'marketer password',
      })
    ).client;
    for (const body of [
      { tags: ['vip'] },
      { attributes: { plan: 'gold' } },
      { restricted: true },
      { optedOut: false },
      { name: 'Sam V', tags: ['vip'] },
    ]) {
      const res = await agent.patch(contactPath, body);
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(res.body.error).toEqual({ code: 'forbidden', message: 'this action needs one of the roles: owner, admin, marketer' });
    }
    expect((await owner.get(contactPath)).body).toMatchObject({ name: 'Sam', tags: [], attributes: {} });
    const renamed = await agent.patch(contactPath, { name: 'Sam Vega', optedOut: true });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Sam Vega', optedOut: true });
    const tagged = await marketer.patch(contactPath, { tags: ['vip'], attributes: { plan: 'gold' }, optedOut: false });
    expect(tagged.status).toBe(200);
    expect(tagged.body).toMatchObject({ tags: ['vip'], attributes: { plan: 'gold' }, optedOut: false });
  });

  it("takes a removed member's access away at once", async () => {
    const login = await api.client.post('/api/v1/auth/login', { email: 'ada@example.com', password: 'a long password' });
    const owner = api.client.as(login.body.token);
    const member = await inviteMember(owner, {
      email: 'leaver@example.com',
      role: 'marketer',
      name: 'Leaver',
      password: 'leaver password',
    });
    const leaver = member.client;
    expect((await leaver.get('/api/v1/channels')).status).toBe(200);
    expect((await owner.delete(`/api/v1/members/${member.memberId}`)).status).toBe(204);
    expect((await leaver.get('/api/v1/channels')).status).toBe(401);
  });

  it('never lets the last owner go', async () => {
    const login = await api.client.post('/api/v1/auth/login', { email: 'ada@example.com', password: 'a long password' });
    const owner = api.client.as(login.body.token);
    const members = await owner.get('/api/v1/members');
    const self = members.body.items.find((m: any) => m.email === 'ada@example.com');
    const res = await owner.delete(`/api/v1/members/${self.id}`);
    expect(res.status).toBe(409);
  });
});

describe('when the OpenAPI document is fetched', () => {
  it('describes every route with its schemas', async () => {
    const res = await api.client.get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(res.body.paths['/api/v1/channels/{id}/sandbox/inbound'].post.requestBody.content['application/json'].schema.required).toEqual([
      'from',
      'text',
    ]);
    expect(res.body.paths['/api/v1/auth/signup'].post.security).toEqual([]);
  });
});
