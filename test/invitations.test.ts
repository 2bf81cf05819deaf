import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mailer, OutgoingMail } from '../engine/ports/mailer.port.ts';
import { INVITATIONS_PER_DAY } from '../api/routes/invitations.routes.ts';
import { testSql } from './support/test-sql.ts';
import type { ApiClient } from './support/api-client.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import { tokenOfAcceptUrl } from './support/invite-member.ts';

const PUBLIC_URL = 'https://onemessage.example.test';

/** Records every email instead of sending it; fails the next send when told to. */
class RecordingMailer implements Mailer {
  readonly sent: OutgoingMail[] = [];
  failNext = false;
  async send(mail: OutgoingMail): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('554 the SMTP server refused the message');
    }
    this.sent.push(mail);
  }
}

let api: TestApi;
let anonymous: ApiClient;
const mailer = new RecordingMailer();

async function sql<T = any>(query: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(api.env.orm.em.fork(), query, bindings)).rows;
}

async function signup(
  email: string,
  workspaceName: string,
  password = `password of ${email}`,
): Promise<{ client: ApiClient; workspaceId: string; userId: string }> {
  const res = await anonymous.post('/api/v1/auth/signup', { email, password, name: email.split('@')[0], workspaceName });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { client: anonymous.as(res.body.token), workspaceId: res.body.workspace.id, userId: res.body.user.id };
}

async function invite(admin: ApiClient, email: string, role = 'agent'): Promise<{ id: string; token: string; body: any }> {
  const res = await admin.post('/api/v1/invitations', { email, role });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.id, token: tokenOfAcceptUrl(res.body.acceptUrl), body: res.body };
}

async function accountsWithEmail(email: string): Promise<number> {
  return (await sql<{ n: number }>(`select count(*)::int as n from users where email = :email`, { email }))[0]!.n;
}

async function membershipsOf(workspaceId: string): Promise<number> {
  return (await sql<{ n: number }>(`select count(*)::int as n from memberships where workspace_id = :workspaceId`, { workspaceId }))[0]!.n;
}

beforeAll(async () => {
  api = await startTestApi({ PUBLIC_URL }, { mailer });
  anonymous = api.client;
});

afterAll(async () => {
  await api?.close();
});

describe('when a stranger tries the account takeover of issue 13', () => {
  let stranger: Awaited<ReturnType<typeof signup>>;

  beforeAll(async () => {
    stranger = await signup('stranger@example.com', 'Stranger Co');
  });

  it('cannot create an account for an email that has not signed up, with a password of their choosing', async () => {
    const res = await stranger.client.post('/api/v1/members', {
      email: 'victim@example.com',
      role: 'agent',
      name: 'Victim',
      password: 'stranger chose this',
    });
    expect(res.status).toBe(410);
    expect(res.body.error.code).toBe('gone');
    expect(res.body.error.message).toContain('POST /api/v1/invitations');
    expect(await accountsWithEmail('victim@example.com')).toBe(0);
    expect((await anonymous.post('/api/v1/auth/login', { email: 'victim@example.com', password: 'stranger chose this' })).status).toBe(401);
  });

  it("lets the real person sign up, and another workspace's invitation is accepted only by them, logged in", async () => {
    const victim = await signup('victim@example.com', 'Victim Co', 'the victim own password');
    const other = await signup('other-owner@example.com', 'Other Co');
    const { token } = await invite(other.client, 'victim@example.com', 'admin');

    // Without a session, the link cannot create a second account or set a password.
    const asNew = await anonymous.post('/api/v1/invitations/accept', { token, name: 'Victim', password: 'stranger chose this' });
    expect(asNew.status).toBe(409);
    expect(asNew.body.error.code).toBe('conflict');
    expect(asNew.body.error.message).toMatch(/log in first/);
    // Logged in as somebody else, the link is refused.
    const asStranger = await stranger.client.post('/api/v1/invitations/accept', { token });
    expect(asStranger.status).toBe(403);
    expect(asStranger.body.error.code).toBe('invitation_email_mismatch');
    expect(await membershipsOf(other.workspaceId)).toBe(1);

    const asVictim = await victim.client.post('/api/v1/invitations/accept', { token });
    expect(asVictim.status).toBe(200);
    expect(asVictim.body).toMatchObject({
      user: { id: victim.userId, email: 'victim@example.com' },
      workspace: { id: other.workspaceId, name: 'Other Co' },
      role: 'admin',
    });
    const me = await anonymous.as(asVictim.body.token).get('/api/v1/auth/me');
    expect(me.body).toMatchObject({ workspace: { id: other.workspaceId }, role: 'admin' });
    // The victim's password is still theirs alone.
    expect((await anonymous.post('/api/v1/auth/login', { email: 'victim@example.com', password: 'stranger chose this' })).status).toBe(401);
    expect(
      (
        await anonymous.post('/api/v1/auth/login', {
          email: 'victim@example.com',
          password: 'the victim own password',
          workspaceId: other.workspaceId,
        })
      ).status,
    ).toBe(200);
  });
});

describe('when an admin invites someone', () => {
  let owner: Awaited<ReturnType<typeof signup>>;

  beforeAll(async () => {
    owner = await signup('inviter@example.com', 'Inviting Co');
  });

  it('answers the link once, built from PUBLIC_URL whatever the Host header says, valid 7 days', async () => {
    const before = Date.now();
    const res = await owner.client.request(
      'post',
      '/api/v1/invitations',
      { email: 'New.Person@Example.com', role: 'marketer' },
      { headers: { host: 'attacker.example' } },
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ email: 'new.person@example.com', role: 'marketer', invitedByName: 'inviter' });
    expect(res.body.acceptUrl).toMatch(new RegExp(`^${PUBLIC_URL.replace(/\./g, '\\.')}/invitations/accept#token=[A-Za-z0-9_-]{43}$`));
    const expiresAt = new Date(res.body.expiresAt).getTime();
    expect(expiresAt - before).toBeGreaterThanOrEqual(7 * 24 * 3600 * 1000 - 1000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(7 * 24 * 3600 * 1000);
  });

  it('stores only the hash of the token, and never lists the token again', async () => {
    const { id, token } = await invite(owner.client, 'hashed@example.com');
    // 43 base64url characters: 32 random bytes, 256 bits.
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    const [row] = await sql(`select * from invitations where id = :id`, { id });
    expect(row.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(token);
    const list = await owner.client.get('/api/v1/invitations');
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: any) => i.id)).toContain(id);
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect(JSON.stringify(list.body)).not.toContain('acceptUrl');
  });

  it('replaces the open invitation when the same email is invited again', async () => {
    const first = await invite(owner.client, 'twice@example.com', 'agent');
    const second = await invite(owner.client, 'twice@example.com', 'marketer');
    const old = await anonymous.post('/api/v1/invitations/lookup', { token: first.token });
    expect(old.status).toBe(410);
    expect(old.body.error.code).toBe('invitation_revoked');
    const list = await owner.client.get('/api/v1/invitations');
    expect(list.body.items.filter((i: any) => i.email === 'twice@example.com').map((i: any) => [i.id, i.role])).toEqual([
      [second.id, 'marketer'],
    ]);
  });

  it('revokes an invitation: its link stops working and creates nothing', async () => {
    const { id, token } = await invite(owner.client, 'revoked@example.com');
    expect((await owner.client.delete(`/api/v1/invitations/${id}`)).status).toBe(204);
    expect((await owner.client.get('/api/v1/invitations')).body.items.map((i: any) => i.id)).not.toContain(id);
    const res = await anonymous.post('/api/v1/invitations/accept', { token, name: 'Revoked', password: 'a long password' });
    expect(res.status).toBe(410);
    expect(res.body.error).toMatchObject({ code: 'invitation_revoked', message: expect.stringMatching(/withdrawn/) });
    expect(await accountsWithEmail('revoked@example.com')).toBe(0);
  });

  it('lets only an owner invite an owner', async () => {
    const admin = await (async () => {
      const { token } = await invite(owner.client, 'second-admin@example.com', 'admin');
      const res = await anonymous.post('/api/v1/invitations/accept', { token, name: 'Admin', password: 'a long password' });
      return anonymous.as(res.body.token);
    })();
    const res = await admin.post('/api/v1/invitations', { email: 'would-be-owner@example.com', role: 'owner' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect((await owner.client.post('/api/v1/invitations', { email: 'co-owner@example.com', role: 'owner' })).status).toBe(201);
  });

  it('caps the invitations a workspace creates in a day, so that it cannot send bulk mail through the server', async () => {
    const bulk = await signup('bulk@example.com', 'Bulk Co');
    await sql(
      `insert into invitations (id, workspace_id, email, role, token_hash, expires_at, created_at)
      select gen_random_uuid(), :workspaceId, 'bulk-' || n || '@example.com', 'agent', md5(random()::text) || n, now() + interval '7 days', now() - interval '1 hour'
      from generate_series(1, :count) as n`,
      { workspaceId: bulk.workspaceId, count: INVITATIONS_PER_DAY },
    );
    const res = await bulk.client.post('/api/v1/invitations', { email: 'one-more@example.com', role: 'agent' });
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('rate_limited');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(22 * 3600);
    expect(mailer.sent.map((m) => m.to)).not.toContain('one-more@example.com');
  });

  it('refuses to invite someone who is already a member', async () => {
    const res = await owner.client.post('/api/v1/invitations', { email: 'inviter@example.com', role: 'agent' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
  });
});

describe('when an invitation link is opened', () => {
  let owner: Awaited<ReturnType<typeof signup>>;

  beforeAll(async () => {
    owner = await signup('Ada@example.com', 'Workspace X');
  });

  it('shows who invited which email to what, and whether that email has an account', async () => {
    const { token } = await invite(owner.client, 'sam@example.com', 'agent');
    const res = await anonymous.post('/api/v1/invitations/lookup', { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      email: 'sam@example.com',
      role: 'agent',
      workspaceName: 'Workspace X',
      inviterName: 'Ada',
      expiresAt: expect.any(String),
      hasAccount: false,
    });
    await signup('has-account@example.com', 'Own Co');
    const known = await invite(owner.client, 'has-account@example.com', 'agent');
    expect((await anonymous.post('/api/v1/invitations/lookup', { token: known.token })).body.hasAccount).toBe(true);
  });

  it('says nothing for a wrong token', async () => {
    for (const path of ['/api/v1/invitations/lookup', '/api/v1/invitations/accept']) {
      const res = await anonymous.post(path, { token: 'A'.repeat(43), name: 'X', password: 'a long password' });
      expect(res.status, path).toBe(404);
      expect(res.body).toEqual({ error: { code: 'not_found', message: 'invitation was not found' } });
    }
  });

  it('asks for a name and a password, naming both, to create an account', async () => {
    const { token } = await invite(owner.client, 'fields@example.com');
    const res = await anonymous.post('/api/v1/invitations/accept', { token });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.map((d: any) => d.path)).toEqual(['name', 'password']);
    expect(await accountsWithEmail('fields@example.com')).toBe(0);
  });

  it('creates the account and the membership, answers a working session, and works only once', async () => {
    const { token } = await invite(owner.client, 'new-agent@example.com', 'agent');
    const res = await anonymous.post('/api/v1/invitations/accept', { token, name: 'New Agent', password: 'new agent password' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      user: { email: 'new-agent@example.com', name: 'New Agent' },
      workspace: { id: owner.workspaceId },
      role: 'agent',
    });
    expect((await anonymous.as(res.body.token).get('/api/v1/channels')).status).toBe(200);
    expect((await anonymous.post('/api/v1/auth/login', { email: 'new-agent@example.com', password: 'new agent password' })).status).toBe(
      200,
    );
    const members = await owner.client.get('/api/v1/members');
    expect(members.body.items.find((m: any) => m.email === 'new-agent@example.com')).toMatchObject({ role: 'agent', name: 'New Agent' });

    const again = await anonymous.post('/api/v1/invitations/accept', { token, name: 'Again', password: 'another password' });
    expect(again.status).toBe(410);
    expect(again.body.error.code).toBe('invitation_used');
  });

  it('refuses an expired link and creates nothing', async () => {
    const { id, token } = await invite(owner.client, 'late@example.com');
    await sql(`update invitations set expires_at = now() - interval '1 second' where id = :id`, { id });
    const lookup = await anonymous.post('/api/v1/invitations/lookup', { token });
    expect(lookup.status).toBe(410);
    expect(lookup.body.error).toMatchObject({
      code: 'invitation_expired',
      message: expect.stringMatching(/expired; ask the workspace admin for a new one/),
    });
    const res = await anonymous.post('/api/v1/invitations/accept', { token, name: 'Late', password: 'a long password' });
    expect(res.status).toBe(410);
    expect(res.body.error.code).toBe('invitation_expired');
    expect(await accountsWithEmail('late@example.com')).toBe(0);
    expect((await owner.client.get('/api/v1/invitations')).body.items.map((i: any) => i.id)).not.toContain(id);
  });

  it('lets exactly one of several simultaneous accepts of one link succeed', async () => {
    const { token } = await invite(owner.client, 'racer@example.com');
    const members = await membershipsOf(owner.workspaceId);
    const answers = await Promise.all(
      [1, 2, 3, 4].map((n) => anonymous.post('/api/v1/invitations/accept', { token, name: `Racer ${n}`, password: `racer password ${n}` })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 410, 410, 410]);
    for (const a of answers.filter((x) => x.status === 410)) expect(a.body.error.code).toBe('invitation_used');
    expect(await accountsWithEmail('racer@example.com')).toBe(1);
    expect(await membershipsOf(owner.workspaceId)).toBe(members + 1);
  });

  it('adds a logged-in account of another workspace, which cannot then be invited again', async () => {
    const existing = await signup('joiner@example.com', 'Joiner Co');
    const { token } = await invite(owner.client, 'joiner@example.com', 'marketer');
    const res = await existing.client.post('/api/v1/invitations/accept', { token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ workspace: { id: owner.workspaceId }, role: 'marketer' });
    const again = await owner.client.post('/api/v1/invitations', { email: 'joiner@example.com', role: 'agent' });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe('this person is already a member of the workspace');
  });

  it('refuses an API key as the acceptor', async () => {
    const { token } = await invite(owner.client, 'by-key@example.com');
    const key = await owner.client.post('/api/v1/api-keys', { name: 'K', role: 'admin' });
    const res = await anonymous.as(key.body.secret).post('/api/v1/invitations/accept', { token });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });
});

describe('when SMTP is configured', () => {
  let owner: Awaited<ReturnType<typeof signup>>;

  beforeAll(async () => {
    owner = await signup('mailing-owner@example.com', 'Mailing Co');
  });

  it('emails the link to the invited address', async () => {
    const { body } = await invite(owner.client, 'mailed@example.com', 'agent');
    expect(body.emailed).toBe(true);
    const mail = mailer.sent.find((m) => m.to === 'mailed@example.com')!;
    expect(mail.subject).toBe('mailing-owner invited you to Mailing Co on OneMessage');
    expect(mail.text).toContain(body.acceptUrl);
    expect(mail.text).toContain('as agent');
  });

  it('keeps the invitation when the email fails, and says it was not emailed', async () => {
    mailer.failNext = true;
    const { id, token, body } = await invite(owner.client, 'unmailed@example.com');
    expect(body.emailed).toBe(false);
    expect((await owner.client.get('/api/v1/invitations')).body.items.map((i: any) => i.id)).toContain(id);
    expect((await anonymous.post('/api/v1/invitations/lookup', { token })).status).toBe(200);
  });
});

describe('when invitations are audited', () => {
  it('records create, revoke and accept with ids only: never the token, its hash or the email', async () => {
    const owner = await signup('audited-owner@example.com', 'Audited Co');
    const revoked = await invite(owner.client, 'audited-revoked@example.com');
    await owner.client.delete(`/api/v1/invitations/${revoked.id}`);
    const accepted = await invite(owner.client, 'audited-accepted@example.com', 'marketer');
    await anonymous.post('/api/v1/invitations/accept', { token: accepted.token, name: 'Audited', password: 'a long password' });

    const rows = await sql(
      `select action, target_id, details from audit_log where workspace_id = :workspaceId and action like 'invitation.%' order by created_at, action`,
      { workspaceId: owner.workspaceId },
    );
    expect(rows.map((r) => [r.action, r.target_id])).toEqual(
      expect.arrayContaining([
        ['invitation.created', revoked.id],
        ['invitation.revoked', revoked.id],
        ['invitation.created', accepted.id],
        ['invitation.accepted', accepted.id],
      ]),
    );
    const everything = JSON.stringify(await sql(`select * from audit_log`));
    for (const secret of [
      revoked.token,
      accepted.token,
      createHash('sha256').update(accepted.token).digest('hex'),
      'audited-accepted@example.com',
    ])
      expect(everything).not.toContain(secret);
  });
});
