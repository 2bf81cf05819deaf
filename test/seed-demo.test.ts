import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../engine/clock.ts';
import { verifyPassword } from '../platform/crypto/password.ts';
import { seedDemo } from '../platform/seed/seed-demo.ts';
import { dropDatabase } from '../platform/db/ensure-database.ts';
import { cliEnv, runCli } from './support/cli-process.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

let env: TestEnv;
const demo = { email: 'Demo@OneMessage.local', password: 'onemessage-demo', clock: systemClock };

beforeAll(async () => {
  env = await createTestEnv();
});

afterAll(async () => {
  await env?.cleanup();
});

async function count(sql: string): Promise<number> {
  const [row] = await env.orm.em.fork().getConnection().execute<{ n: string }[]>(sql);
  return Number(row!.n);
}

describe('when the demo is seeded into an empty database', () => {
  it('creates the demo workspace, its owner, a connected sandbox channel and sample chats', async () => {
    const result = await seedDemo(env.orm, demo);
    expect(result).toMatchObject({ createdWorkspace: true, createdUser: true });
    const em = env.orm.em.fork();
    const [ws] = await em.getConnection().execute(`select name, is_demo from workspaces where id = ?`, [result.workspaceId]);
    expect(ws).toEqual({ name: 'Demo workspace', is_demo: true });
    const [member] = await em
      .getConnection()
      .execute<{ email: string; role: string; password_hash: string }[]>(
        `select u.email, m.role, u.password_hash from memberships m join users u on u.id = m.user_id where m.workspace_id = ?`,
        [result.workspaceId],
      );
    expect(member!.email).toBe('demo@onemessage.local');
    expect(member!.role).toBe('owner');
    expect(await verifyPassword('onemessage-demo', member!.password_hash)).toBe(true);
    const channels = await em
      .getConnection()
      .execute(`select name, kind, status, display_identifier from channels where workspace_id = ?`, [result.workspaceId]);
    expect(channels).toEqual([{ name: 'Demo sandbox', kind: 'sandbox', status: 'connected', display_identifier: 'sandbox' }]);
    expect(await count(`select count(*) as n from conversations`)).toBeGreaterThan(0);
    expect(await count(`select count(*) as n from messages`)).toBeGreaterThan(0);
    // Each contact was last seen when they last wrote, and each conversation's times are its messages'.
    const mismatched = `select c.id from contacts c join conversations v on v.contact_id = c.id
      where c.last_seen_at is distinct from (select max(created_at) from messages m where m.contact_id = c.id and m.direction = 'inbound')
         or v.last_message_at is distinct from (select max(created_at) from messages m where m.conversation_id = v.id)
         or v.last_inbound_at is distinct from (select max(created_at) from messages m where m.conversation_id = v.id and m.direction = 'inbound')`;
    expect(await count(`select count(*) as n from (${mismatched}) x`)).toBe(0);
  });
});

describe('when the demo is seeded again', () => {
  it('keeps one demo workspace and one channel, and changes nothing', async () => {
    const before = await count(`select count(*) as n from messages`);
    const result = await seedDemo(env.orm, demo);
    expect(result).toMatchObject({ createdWorkspace: false, createdUser: false });
    expect(await count(`select count(*) as n from workspaces where is_demo`)).toBe(1);
    expect(await count(`select count(*) as n from channels`)).toBe(1);
    expect(await count(`select count(*) as n from messages`)).toBe(before);
  });

  it('does not reset the password of a demo user who changed it', async () => {
    const em = env.orm.em.fork();
    await em.getConnection().execute(`update users set password_hash = 'changed' where email = 'demo@onemessage.local'`);
    await seedDemo(env.orm, demo);
    const [row] = await em
      .getConnection()
      .execute<{ password_hash: string }[]>(`select password_hash from users where email = 'demo@onemessage.local'`);
    expect(row!.password_hash).toBe('changed');
  });

  it('creates one demo workspace when several processes seed at once', async () => {
    await env.orm.em.fork().getConnection().execute(`delete from workspaces; delete from users`);
    const results = await Promise.all([1, 2, 3, 4].map(() => seedDemo(env.orm, demo)));
    expect(results.filter((r) => r.createdWorkspace)).toHaveLength(1);
    expect(new Set(results.map((r) => r.workspaceId)).size).toBe(1);
    expect(await count(`select count(*) as n from workspaces where is_demo`)).toBe(1);
    expect(await count(`select count(*) as n from users`)).toBe(1);
    expect(await count(`select count(*) as n from memberships`)).toBe(1);
    expect(await count(`select count(*) as n from channels`)).toBe(1);
  });
});

describe('when `onemessage seed-demo` runs twice', () => {
  it('migrates a fresh database, seeds once and reports the demo present the second time', async () => {
    const { env: childEnv, databaseUrl } = cliEnv();
    try {
      const first = await runCli(['seed-demo'], childEnv);
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('demo workspace created');
      const second = await runCli(['seed-demo'], childEnv);
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('demo workspace already present');
      expect(second.stdout).toContain('password unchanged');
    } finally {
      await dropDatabase(databaseUrl);
    }
  }, 60_000);
});
