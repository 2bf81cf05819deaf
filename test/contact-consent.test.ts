import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optInContact, optOutContact } from '../platform/contacts/contact-consent.sql.ts';
import { newId } from '../platform/ids.ts';
import { testSql } from './support/test-sql.ts';
import { createTestEnv, type TestEnv } from './support/test-env.ts';

// The STOP keyword and the opt-out node each had their own copy of these statements; one of them
// could forget the consent history or the broadcast count. Both now call these functions.
let env: TestEnv;
const workspaceId = newId();
const channelId = newId();
const contactId = newId();
const broadcastId = newId();
const FIRST = new Date('2026-03-01T10:00:00.000Z');
const LATER = new Date('2026-03-01T11:00:00.000Z');

async function sql<Row>(text: string, bindings: Record<string, unknown> = {}): Promise<Row[]> {
  return (await testSql<Row>(env.orm.em.fork(), text, bindings)).rows;
}

beforeAll(async () => {
  env = await createTestEnv();
  await sql(`insert into workspaces (id, name) values (:workspaceId, 'Consent')`, { workspaceId });
  await sql(`insert into channels (id, workspace_id, kind, name, status) values (:channelId, :workspaceId, 'sandbox', 'S', 'connected')`, {
    channelId,
    workspaceId,
  });
  await sql(`insert into contacts (id, workspace_id, phone) values (:contactId, :workspaceId, '+15550007777')`, { contactId, workspaceId });
  await sql(
    `insert into broadcasts (id, workspace_id, name, channel_id, audience, content, schedule, state) values (:broadcastId, :workspaceId, 'Promo', :channelId, '{}', '{}', '{}', 'running')`,
    { broadcastId, workspaceId, channelId },
  );
  await sql(
    `insert into broadcast_recipients (id, broadcast_id, workspace_id, contact_id, batch, state, updated_at) values (:id, :broadcastId, :workspaceId, :contactId, 0, 'queued', :at)`,
    { id: newId(), broadcastId, workspaceId, contactId, at: new Date(FIRST.getTime() - 3_600_000) },
  );
}, 60_000);

afterAll(async () => {
  await env?.cleanup();
});

async function contact(): Promise<{ optedOutAt: Date | null }> {
  return (
    await sql<{ optedOutAt: Date | null }>(`select opted_out_at as "optedOutAt" from contacts where id = :contactId`, { contactId })
  )[0]!;
}

describe('when a contact opts out and in', () => {
  it('flags the contact, records the change with its source and counts it on the broadcast that reached it', async () => {
    await env.orm.em.fork().transactional((em) => optOutContact(em, { workspaceId, contactId, source: 'keyword', channelId, at: FIRST }));
    expect(new Date((await contact()).optedOutAt!).toISOString()).toBe(FIRST.toISOString());
    const counted = await sql<{ optedOutAt: Date | null }>(
      `select opted_out_at as "optedOutAt" from broadcast_recipients where broadcast_id = :broadcastId`,
      { broadcastId },
    );
    expect(counted.map((r) => new Date(r.optedOutAt!).toISOString())).toEqual([FIRST.toISOString()]);
  });

  it('keeps the time of the first opt-out when the contact opts out again, recording both', async () => {
    await env.orm.em
      .fork()
      .transactional((em) => optOutContact(em, { workspaceId, contactId, source: 'node', channelId, runId: null, at: LATER }));
    expect(new Date((await contact()).optedOutAt!).toISOString()).toBe(FIRST.toISOString());
  });

  it('clears the flag on opt-in, and the history has every change in order', async () => {
    await env.orm.em.fork().transactional((em) => optInContact(em, { workspaceId, contactId, source: 'keyword', channelId, at: LATER }));
    expect((await contact()).optedOutAt).toBeNull();
    const history = await sql<{ action: string; source: string }>(
      `select action, source from consent_events where contact_id = :contactId order by created_at, action desc`,
      { contactId },
    );
    expect(history).toEqual([
      { action: 'opt_out', source: 'keyword' },
      { action: 'opt_out', source: 'node' },
      { action: 'opt_in', source: 'keyword' },
    ]);
  });
});
