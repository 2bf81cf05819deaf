import { existsSync } from 'node:fs';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETENTION_QUEUE, sweepSchedulerId } from '../connectors/retention/retention-jobs.ts';
import { SWEEP_APPLICATION_NAME } from '../connectors/retention/sweep-session.sql.ts';
import { DEFAULT_RETENTION_POLICY } from '../engine/retention/retention-policy.ts';
import { newId } from '../platform/ids.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { testSql } from './support/test-sql.ts';
import { startTestApi, type TestApi } from './support/api-harness.ts';
import type { ApiClient } from './support/api-client.ts';
import { eventually } from './support/eventually.ts';
import { inviteMember } from './support/invite-member.ts';
import { seedContact, seedMessages, seedRun } from './support/privacy-fixture.ts';

let api: TestApi;
let owner: ApiClient;
let workspaceId: string;
let channelId: string;
let flow: { flowId: string; versionId: string };
const dataDir = `/tmp/onemessage-retention-test-${process.pid}`;
const mediaDir = `${dataDir}/media`;

let queue: Queue | null = null;
function retentionQueue(): Queue {
  queue ??= new Queue(RETENTION_QUEUE, { connection: api.env.redis, prefix: api.env.config.redisPrefix });
  return queue;
}

async function sql<T = Record<string, unknown>>(text: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
  return (await testSql<T>(api.env.orm.em.fork(), text, bindings)).rows;
}

async function count(table: string, where: string, bindings: Record<string, unknown>): Promise<number> {
  return Number((await sql<{ n: string }>(`select count(*) as n from ${table} where ${where}`, bindings))[0]!.n);
}

async function sweepToEnd(body: { dryRun: boolean }): Promise<any> {
  const started = await owner.post('/api/v1/retention/sweeps', body);
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  return eventually(async () => {
    const res = await owner.get(`/api/v1/retention/sweeps/${started.body.id}`);
    return res.body.status === 'completed' || res.body.status === 'failed' ? res.body : undefined;
  }, 30_000);
}

beforeAll(async () => {
  api = await startTestApi({ ONEMESSAGE_DATA_DIR: dataDir });
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: 'owner@example.com',
    password: 'password-123',
    name: 'Owner',
    workspaceName: 'Retention',
  });
  owner = api.client.as(signup.body.token);
  workspaceId = signup.body.workspace.id;
  channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'Sandbox' })).body.id;
  const created = await owner.post('/api/v1/flows', {
    name: 'A flow',
    document: {
      schemaVersion: 1,
      nodes: [
        {
          id: 'trigger',
          type: 'message_received',
          config: {
            channels: 'all',
            match: { kind: 'keyword', mode: 'exact', keywords: ['hi'], caseInsensitive: true },
            firstMessageOnly: false,
          },
          position: { x: 0, y: 0 },
        },
      ],
      edges: [],
    },
  });
  const published = await owner.post(`/api/v1/flows/${created.body.id}/publish`, {});
  flow = { flowId: created.body.id, versionId: published.body.version.id };
});

afterAll(async () => {
  await queue?.close();
  await api?.close();
});

describe('the retention policy', () => {
  it('keeps usage data 30 days and the audit log 2 years until an admin changes it, and sweeps nightly at 03:00 workspace time', async () => {
    const res = await owner.get('/api/v1/retention/policy');
    expect(res.status).toBe(200);
    expect(res.body.policy).toMatchObject({ usage_data: 30, audit_log: 730, message_content: null, inactive_contacts: null });
    expect(res.body.schedule).toEqual({ cron: '0 3 * * *', timezone: 'UTC' });
    // The worker gave the workspace its scheduler, with a stable id.
    const scheduler = await eventually(async () => (await retentionQueue().getJobScheduler(sweepSchedulerId(workspaceId))) ?? undefined);
    expect(scheduler).toMatchObject({ pattern: '0 3 * * *', tz: 'UTC' });
  });

  it('refuses less than a day, an audit log under a year and a bad cron, in words', async () => {
    const zero = await owner.request('put', '/api/v1/retention/policy', { policy: { message_content: 0 } });
    expect(zero.status).toBe(400);
    expect(JSON.stringify(zero.body)).toContain('at least 1 day');
    const audit = await owner.request('put', '/api/v1/retention/policy', { policy: { audit_log: 30 } });
    expect(audit.status).toBe(400);
    expect(JSON.stringify(audit.body)).toContain('at least 365 days');
    const cron = await owner.request('put', '/api/v1/retention/policy', { schedule: { cron: '61 * * * *' } });
    expect(cron.status).toBe(400);
    expect(cron.body.error.message).toContain('not a valid cron');
  });

  it('is an admin matter: an agent and a marketer may neither read nor change it', async () => {
    const agent = await inviteMember(owner, { email: 'agent@example.com', role: 'agent', name: 'Agent', password: 'password-agent' });
    const marketer = await inviteMember(owner, {
      email: 'marketer@example.com',
      role: 'marketer',
      name: 'Marketer',
      password: 'password-marketer',
    });
    for (const member of [agent, marketer]) {
      expect((await member.client.get('/api/v1/retention/policy')).status).toBe(403);
      expect((await member.client.request('put', '/api/v1/retention/policy', { policy: { message_content: 1 } })).status).toBe(403);
      expect((await member.client.post('/api/v1/retention/sweeps', { dryRun: true })).status).toBe(403);
      expect((await member.client.post('/api/v1/legal-holds', { scope: 'workspace', reason: 'x' })).status).toBe(403);
    }
  });

  it('records every change in the audit log with the old and new values, and moves the scheduler', async () => {
    const res = await owner.request('put', '/api/v1/retention/policy', {
      policy: { message_content: 30, media_files: 10, run_steps: 30, usage_data: 7 },
      schedule: { cron: '30 2 * * *' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.policy).toMatchObject({ message_content: 30, media_files: 10, run_steps: 30, usage_data: 7, audit_log: 730 });
    const entries = await sql<{ details: any }>(
      `select details from audit_log where workspace_id = :workspaceId and action = 'retention.policy_changed'`,
      { workspaceId },
    );
    expect(entries).toHaveLength(1);
    expect(entries[0]!.details.changes).toEqual({
      message_content: [null, 30],
      media_files: [null, 10],
      run_steps: [null, 30],
      usage_data: [30, 7],
    });
    expect(entries[0]!.details.schedule).toEqual(['0 3 * * *', '30 2 * * *']);
    const scheduler = await retentionQueue().getJobScheduler(sweepSchedulerId(workspaceId));
    expect(scheduler).toMatchObject({ pattern: '30 2 * * *', tz: 'UTC' });
  });
});

describe('when a sweep runs over expired, recent, held and running data', () => {
  const seeded: Record<string, any> = {};

  beforeAll(async () => {
    const em = api.env.orm.em.fork();
    const gone = await seedContact(em, { workspaceId, channelId, phone: '+15550000001', name: 'Expired Person' });
    const held = await seedContact(em, { workspaceId, channelId, phone: '+15550000002', name: 'Held Person' });
    const waiting = await seedContact(em, { workspaceId, channelId, phone: '+15550000003', name: 'Waiting Person' });
    seeded.gone = {
      ...gone,
      old: await seedMessages(em, { workspaceId, channelId, ...gone, count: 30, ageDays: 60, text: 'old private text', mediaDir }),
    };
    seeded.gone.recent = await seedMessages(em, { workspaceId, channelId, ...gone, count: 6, ageDays: 2, text: 'recent text', mediaDir });
    // Older than the media period (10 days), younger than the message period (30 days): the file goes, the row stays.
    seeded.gone.middle = await seedMessages(em, { workspaceId, channelId, ...gone, count: 3, ageDays: 15, text: 'middle text', mediaDir });
    seeded.held = {
      ...held,
      old: await seedMessages(em, { workspaceId, channelId, ...held, count: 9, ageDays: 60, text: 'held text', mediaDir }),
    };
    seeded.oldRun = await seedRun(em, { workspaceId, ...flow, ...gone, channelId, status: 'completed', ageDays: 60, steps: 3 });
    seeded.waitingRun = await seedRun(em, { workspaceId, ...flow, ...waiting, channelId, status: 'waiting', ageDays: 60, steps: 2 });
    seeded.heldRun = await seedRun(em, { workspaceId, ...flow, ...held, channelId, status: 'failed', ageDays: 60, steps: 2 });
    // An unhandled inbound message is the engine's inbox: never swept, however old. The engine's
    // reconciler drains any inbound message left unhandled past its grace (5 s), and this one is 60
    // days old: handled by its next pass (every 5 s), it would be settled and swept with the others
    // ("deleted 31 of 30"). Stopped first, so the message stays unhandled for as long as this file runs.
    await api.process.engine.reconciler.stop();
    seeded.unhandled = newId();
    await runSql(
      em,
      `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, status, created_at) values (:id, :workspaceId, :channelId, :conversationId, :contactId, 'inbound', 'contact', 'text', 'unhandled', 'received', now() - interval '60 days')`,
      {
        id: seeded.unhandled,
        workspaceId,
        channelId,
        ...waiting,
      },
    );
    await runSql(
      em,
      `insert into usage_events (id, workspace_id, ip, user_agent, method, path, status, duration_ms, created_at) select gen_random_uuid(), :workspaceId, '10.0.0.1', 'private agent', 'GET', '/x', 200, 1, now() - make_interval(days => d) from generate_series(1, 20) d`,
      { workspaceId },
    );
    const hold = await owner.post('/api/v1/legal-holds', { scope: 'contact', contactId: held.contactId, reason: 'Dispute 14' });
    expect(hold.status, JSON.stringify(hold.body)).toBe(201);
    seeded.holdId = hold.body.id;
  });

  it('previews per kind what it would delete, in rows and bytes, leaving held data out', async () => {
    const res = await owner.get('/api/v1/retention/preview');
    expect(res.status).toBe(200);
    const byKind = Object.fromEntries(res.body.kinds.map((k: any) => [k.kind, k]));
    expect(byKind.message_content.rows).toBe(30);
    expect(byKind.message_content.bytes).toBeGreaterThan(10 * 1_000);
    // Media older than 10 days of messages that stay: 1 of the 3 middle ones (every third has a file); none held. The files
    // of the 30 old messages go with their rows (message content).
    expect(byKind.media_files).toMatchObject({ rows: 1, bytes: 1_000 });
    expect(byKind.run_steps.rows).toBe(4); // the completed run and its 3 steps
    expect(byKind.usage_data.rows).toBe(14); // 7 to 20 days old
    expect(byKind.audit_log.rows).toBe(0);
    expect(byKind.inactive_contacts).toMatchObject({ days: null, rows: 0, cutoff: null });
  });

  it('counts a preview as a sweep counts: in a transaction set up for counts (named, one process)', async () => {
    // The preview's first count reads messages; holding a lock on it keeps that count waiting where it can be seen.
    const seen = await api.env.orm.em.fork().transactional(async (tx) => {
      await runSql(tx, `lock table messages in access exclusive mode`);
      const preview = owner.get('/api/v1/retention/preview');
      const waiting = await eventually(async () => {
        const { rows } = await testSql<{ app: string }>(
          api.env.orm.em.fork(),
          `select application_name as app from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock' and query like '%messages%'`,
        );
        return rows[0];
      });
      return { waiting, preview };
    });
    expect(seen.waiting.app).toBe(SWEEP_APPLICATION_NAME);
    expect((await seen.preview).status).toBe(200);
  });

  it('deletes nothing on a dry run and reports what it would delete', async () => {
    const sweep = await sweepToEnd({ dryRun: true });
    expect(sweep.status).toBe('completed');
    const byKind = Object.fromEntries(sweep.kinds.map((k: any) => [k.kind, k]));
    expect(byKind.message_content).toMatchObject({ total: 30, deleted: 0 });
    expect(await count('messages', 'contact_id = :id', { id: seeded.gone.contactId })).toBe(39);
    for (const f of seeded.gone.old.files) expect(existsSync(f)).toBe(true);
  });

  it('deletes expired messages with their files, media past its period, old run steps and usage data, and nothing else', async () => {
    const sweep = await sweepToEnd({ dryRun: false });
    expect(sweep.status, sweep.error).toBe('completed');
    const byKind = Object.fromEntries(sweep.kinds.map((k: any) => [k.kind, k]));
    expect(byKind.message_content).toMatchObject({ status: 'done', total: 30, deleted: 30, percent: 100 });
    expect(byKind.media_files).toMatchObject({ status: 'done', deleted: 1, files: 1 });
    expect(byKind.message_content).toMatchObject({ files: 10 });
    expect(byKind.run_steps).toMatchObject({ status: 'done', deleted: 4 });
    expect(byKind.usage_data).toMatchObject({ status: 'done', deleted: 14 });
    expect(byKind.message_content.bytes).toBeGreaterThan(0);

    // Expired: gone, with their files.
    expect(await count('messages', 'id = any(cast(:ids as uuid[]))', { ids: seeded.gone.old.ids })).toBe(0);
    for (const f of seeded.gone.old.files) expect(existsSync(f), f).toBe(false);
    expect(await count('runs', 'id = :id', { id: seeded.oldRun })).toBe(0);
    expect(await count('run_steps', 'run_id = :id', { id: seeded.oldRun })).toBe(0);
    expect(await count('usage_events', `workspace_id = :workspaceId and created_at < now() - interval '7 days'`, { workspaceId })).toBe(0);
    expect(await count('pending_file_deletions', 'true', {})).toBe(0);
    // Media past 10 days but messages within 30: the row stays, its file goes.
    const middle = await sql<{ media: any; text: string }>(
      `select media, text from messages where id = any(cast(:ids as uuid[])) and media is not null`,
      { ids: seeded.gone.middle.ids },
    );
    expect(middle).toHaveLength(1);
    expect(middle[0]!.media.storageKey).toBeUndefined();
    expect(middle[0]!.media.removedAt).toBeTruthy();
    expect(existsSync(seeded.gone.middle.files[0])).toBe(false);
    // Recent: kept, with their files.
    expect(await count('messages', 'id = any(cast(:ids as uuid[]))', { ids: seeded.gone.recent.ids })).toBe(6);
    for (const f of seeded.gone.recent.files) expect(existsSync(f)).toBe(true);
    // Held: kept, files included; a waiting run and its steps are untouched; the unhandled inbound message stays.
    expect(await count('messages', 'contact_id = :id', { id: seeded.held.contactId })).toBe(9);
    for (const f of seeded.held.old.files) expect(existsSync(f)).toBe(true);
    expect(await count('run_steps', 'run_id = any(cast(:ids as uuid[]))', { ids: [seeded.waitingRun, seeded.heldRun] })).toBe(4);
    expect((await sql<{ status: string }>(`select status from runs where id = :id`, { id: seeded.waitingRun }))[0]!.status).toBe('waiting');
    expect(await count('messages', 'id = :id', { id: seeded.unhandled })).toBe(1);
  });

  it('leaves an audit entry with counts per kind, its duration and who asked, and no personal data', async () => {
    const entries = await sql<{ actorKind: string; details: any }>(
      `select actor_kind as "actorKind", details from audit_log where workspace_id = :workspaceId and action = 'retention.swept'`,
      { workspaceId },
    );
    expect(entries).toHaveLength(1);
    const entry = entries[0]!;
    expect(entry.actorKind).toBe('user');
    expect(entry.details.trigger).toBe('api');
    expect(entry.details.durationMs).toBeGreaterThanOrEqual(0);
    expect(entry.details.kinds.message_content).toMatchObject({ rows: 30 });
    // The expired messages' files went with their rows; the media kind took the file of a message that stays.
    expect(entry.details.kinds.message_content).toMatchObject({ rows: 30, files: 10 });
    expect(entry.details.kinds.media_files).toMatchObject({ rows: 1, files: 1 });
    const text = JSON.stringify(entry);
    for (const personal of [
      '+1555',
      '15550000001',
      'Expired Person',
      'old private text',
      'private agent',
      '10.0.0.1',
      'private step',
      seeded.gone.contactId,
    ])
      expect(text).not.toContain(personal);
    const dry = await sql(`select 1 from audit_log where workspace_id = :workspaceId and action = 'retention.dry_run'`, { workspaceId });
    expect(dry).toHaveLength(1);
  });

  it('runs one sweep per workspace at a time', async () => {
    await runSql(
      api.env.orm.em.fork(),
      `insert into retention_sweeps (id, workspace_id, status, trigger, policy, cutoffs, lease_owner, lease_until) values (:id, :workspaceId, 'running', 'cli', cast(:policy as jsonb), '{}', 'someone', now() + interval '1 hour')`,
      {
        id: newId(),
        workspaceId,
        // A whole policy, as insertSweep writes it: the sweep's row schema reads every kind.
        policy: JSON.stringify(DEFAULT_RETENTION_POLICY),
      },
    );
    const second = await owner.post('/api/v1/retention/sweeps', { dryRun: false });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('retention_sweep_running');
    await runSql(api.env.orm.em.fork(), `delete from retention_sweeps where lease_owner = 'someone'`);
  });

  it('skips everything while the workspace is under a legal hold, and sweeps the contact once its hold is released', async () => {
    const hold = await owner.post('/api/v1/legal-holds', { scope: 'workspace', reason: 'Regulator inquiry' });
    expect(hold.status).toBe(201);
    const skipped = await sweepToEnd({ dryRun: false });
    expect(skipped.kinds.filter((k: any) => k.status !== 'kept').every((k: any) => k.status === 'skipped')).toBe(true);
    expect(await count('messages', 'contact_id = :id', { id: seeded.held.contactId })).toBe(9);
    expect((await owner.delete(`/api/v1/legal-holds/${hold.body.id}`)).status).toBe(200);
    expect((await owner.delete(`/api/v1/legal-holds/${seeded.holdId}`)).body).toMatchObject({ active: false });
    const released = await sweepToEnd({ dryRun: false });
    expect(released.status).toBe('completed');
    expect(await count('messages', 'contact_id = :id', { id: seeded.held.contactId })).toBe(0);
    for (const f of seeded.held.old.files) expect(existsSync(f)).toBe(false);
    const audits = await sql<{ action: string }>(
      `select action from audit_log where workspace_id = :workspaceId and action like 'legal_hold.%' order by created_at`,
      { workspaceId },
    );
    expect(audits.map((a) => a.action)).toEqual(['legal_hold.placed', 'legal_hold.placed', 'legal_hold.released', 'legal_hold.released']);
  });
});
