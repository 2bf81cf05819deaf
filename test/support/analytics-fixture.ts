import { newId } from '../../platform/ids.ts';
import { testSql } from './test-sql.ts';
import type { TestApi } from './api-harness.ts';
import type { ApiClient } from './api-client.ts';
import { seedContact } from './privacy-fixture.ts';

/**
 * Analytics data seeded as the engine, the outbox and the status updater write it: workspaces,
 * contacts (test-chat ones too), messages with their status times, started broadcasts with their
 * recipients, and runs with their steps. Shared by the API and the Chromium tests of analytics.
 */
export const HOUR_MS = 3_600_000;

export interface Workspace {
  client: ApiClient;
  workspaceId: string;
  channelId: string;
  /** The signup answer, to sign a browser in. */
  session: Awaited<ReturnType<ApiClient['post']>>;
}

/** A contact with its conversation, in a workspace. */
export interface SeededContact {
  contactId: string;
  conversationId: string;
  ws: Workspace;
}

const plus = (d: Date, hours: number) => new Date(d.getTime() + hours * HOUR_MS);

export function analyticsFixture(api: TestApi) {
  async function sql<T = any>(query: string, bindings: Record<string, unknown> = {}): Promise<T[]> {
    return (await testSql<T>(api.env.orm.em.fork(), query, bindings)).rows;
  }

  async function signUp(name: string): Promise<Workspace> {
    const signup = await api.client.post('/api/v1/auth/signup', {
      email: `${name}@example.com`,
      password: `password-${name}`,
      name,
      workspaceName: name,
    });
    const client = api.client.as(signup.body.token);
    const channel = await client.post('/api/v1/channels', { kind: 'sandbox', name: `${name} sandbox` });
    return { client, workspaceId: signup.body.workspace.id, channelId: channel.body.id, session: signup };
  }

  let phoneSeq = 0;
  async function contact(ws: Workspace, opts: { test?: boolean } = {}) {
    const seeded = await seedContact(api.env.orm.em.fork(), {
      workspaceId: ws.workspaceId,
      channelId: ws.channelId,
      phone: `+1555010${String(phoneSeq++).padStart(4, '0')}`,
    });
    if (opts.test) await sql(`update contacts set is_test = true where id = :id`, { id: seeded.contactId });
    return { ...seeded, ws };
  }

  /** A message as the inbound store (inbound) or the outbox and status updater (outbound) leave it. */
  async function message(
    c: SeededContact,
    m: { direction: 'inbound' | 'outbound'; sender: string; at: Date; status?: string; times?: Record<string, Date> },
  ): Promise<string> {
    const id = newId();
    const times = Object.fromEntries(Object.entries(m.times ?? {}).map(([k, v]) => [k, v.toISOString()]));
    await sql(
      `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, status, status_times, created_at)
       values (:id, :workspaceId, :channelId, :conversationId, :contactId, :direction, :sender, 'text', 'hello', :status, cast(:times as jsonb), :at)`,
      {
        id,
        workspaceId: c.ws.workspaceId,
        channelId: c.ws.channelId,
        conversationId: c.conversationId,
        contactId: c.contactId,
        direction: m.direction,
        sender: m.sender,
        status: m.status ?? (m.direction === 'inbound' ? 'received' : 'sent'),
        times: JSON.stringify(times),
        at: m.at,
      },
    );
    return id;
  }

  async function broadcast(ws: Workspace, name: string, startedAt: Date | null, kind: 'message' | 'flow' = 'message'): Promise<string> {
    const id = newId();
    const content = kind === 'message' ? { kind: 'message', text: 'Hello' } : { kind: 'flow', flowId: newId() };
    await sql(
      `insert into broadcasts (id, workspace_id, name, channel_id, audience, content, schedule, state, started_at, finished_at, created_at)
       values (:id, :workspaceId, :name, :channelId, '{"kind":"segment","rule":{"==":[1,1]}}', cast(:content as jsonb), '{"kind":"now"}', :state, :startedAt, :startedAt, coalesce(cast(:startedAt as timestamptz), now()))`,
      {
        id,
        workspaceId: ws.workspaceId,
        channelId: ws.channelId,
        name,
        content: JSON.stringify(content),
        state: startedAt ? 'completed' : 'draft',
        startedAt,
      },
    );
    return id;
  }

  /**
   * A recipient of a message broadcast: its message reached `reached` at `sentAt` (+1 min delivered,
   * +1 h read unless `readOnly` leaves the delivery time out, as WhatsApp sometimes does).
   */
  async function recipient(
    broadcastId: string,
    c: SeededContact,
    r: { reached: 'sent' | 'delivered' | 'read' | 'failed' | 'skipped'; sentAt: Date; optedOutAt?: Date; readOnly?: boolean },
  ): Promise<{ deliveredAt: Date }> {
    const deliveredAt = new Date(r.sentAt.getTime() + (r.readOnly ? HOUR_MS : 60_000));
    let messageId: string | null = null;
    if (r.reached !== 'skipped') {
      const times: Record<string, Date> = { queued: r.sentAt };
      if (r.reached === 'failed') times.failed = r.sentAt;
      else times.sent = r.sentAt;
      if ((r.reached === 'delivered' || r.reached === 'read') && !r.readOnly) times.delivered = deliveredAt;
      if (r.reached === 'read') times.read = new Date(r.sentAt.getTime() + HOUR_MS);
      messageId = await message(c, { direction: 'outbound', sender: 'broadcast', at: r.sentAt, status: r.reached, times });
    }
    await sql(
      `insert into broadcast_recipients (id, broadcast_id, workspace_id, contact_id, batch, state, skip_reason, message_id, opted_out_at, updated_at)
       values (:id, :broadcastId, :workspaceId, :contactId, 0, :state, :skipReason, :messageId, :optedOutAt, :sentAt)`,
      {
        id: newId(),
        broadcastId,
        workspaceId: c.ws.workspaceId,
        contactId: c.contactId,
        state: r.reached === 'skipped' ? 'skipped' : 'queued',
        skipReason: r.reached === 'skipped' ? 'opted_out' : null,
        messageId,
        optedOutAt: r.optedOutAt ?? null,
        sentAt: r.sentAt,
      },
    );
    return { deliveredAt };
  }

  const reply = (c: SeededContact, at: Date) => message(c, { direction: 'inbound', sender: 'contact', at });

  const FLOW_DOCUMENT = {
    schemaVersion: 1,
    nodes: [
      { id: 'trigger', type: 'message_received', config: { match: { kind: 'keyword', keywords: ['hi'] } }, position: { x: 0, y: 0 } },
      { id: 'end', type: 'end', config: {}, position: { x: 0, y: 160 } },
    ],
    edges: [{ id: 'e', source: 'trigger', sourceHandle: 'out', target: 'end' }],
  };

  /** A run as the engine leaves it, with its steps: [node id, node type, port left by (null: it went no further)]. */
  async function run(
    flow: { flowId: string; versionId: string },
    c: SeededContact,
    r: { status: string; startedAt: Date; steps: [string, string, string | null][]; currentNodeId?: string },
  ) {
    const runId = newId();
    await sql(
      `insert into runs (id, workspace_id, flow_id, flow_version_id, contact_id, conversation_id, channel_id, status, current_node_id, started_at, updated_at)
       values (:runId, :workspaceId, :flowId, :versionId, :contactId, :conversationId, :channelId, :status, :currentNodeId, :startedAt, :startedAt)`,
      {
        runId,
        workspaceId: c.ws.workspaceId,
        ...flow,
        contactId: c.contactId,
        conversationId: c.conversationId,
        channelId: c.ws.channelId,
        status: r.status,
        currentNodeId: r.currentNodeId ?? null,
        startedAt: r.startedAt,
      },
    );
    for (const [seq, [nodeId, nodeType, port]] of r.steps.entries()) {
      await sql(
        `insert into run_steps (id, workspace_id, run_id, seq, node_id, node_type, port, started_at, finished_at) values (:id, :workspaceId, :runId, :seq, :nodeId, :nodeType, :port, :at, :at)`,
        { id: newId(), workspaceId: c.ws.workspaceId, runId, seq: seq + 1, nodeId, nodeType, port, at: r.startedAt },
      );
    }
  }

  return { sql, signUp, contact, message, broadcast, recipient, reply, plus, run, FLOW_DOCUMENT };
}

export type AnalyticsFixture = ReturnType<typeof analyticsFixture>;
