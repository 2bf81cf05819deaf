import { validateFlow } from '../../engine/flows/validate-flow.ts';
import { newId } from '../../platform/ids.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import type { BenchEnv } from './bench-env.ts';

/** The word that starts the bench flow. */
export const BENCH_KEYWORD = 'price';

/**
 * message "price" → condition contact.plan == "pro" → a reply on either branch. Two sends exist so
 * that both outcomes of the condition do the same amount of work.
 */
export const BENCH_FLOW = {
  schemaVersion: 1,
  nodes: [
    {
      id: 'trigger',
      type: 'message_received',
      config: { match: { kind: 'keyword', mode: 'exact', keywords: [BENCH_KEYWORD] } },
      position: { x: 0, y: 0 },
    },
    { id: 'is-pro', type: 'condition', config: { rule: { '==': [{ var: 'contact.plan' }, 'pro'] } }, position: { x: 200, y: 0 } },
    {
      id: 'pro-reply',
      type: 'send_message',
      config: { text: 'Pro plan, {{contact.name | "there"}}: your price is 0.' },
      position: { x: 400, y: -100 },
    },
    {
      id: 'free-reply',
      type: 'send_message',
      config: { text: 'Free plan, {{contact.name | "there"}}: upgrade for a better price.' },
      position: { x: 400, y: 100 },
    },
  ],
  edges: [
    { id: 'e1', source: 'trigger', sourceHandle: 'out', target: 'is-pro' },
    { id: 'e2', source: 'is-pro', sourceHandle: 'true', target: 'pro-reply' },
    { id: 'e3', source: 'is-pro', sourceHandle: 'false', target: 'free-reply' },
  ],
};

export interface BenchWorkspace {
  workspaceId: string;
  channelIds: string[];
  /** The owner's session token, for API calls. */
  token: string;
}

/** Signs up (workspace + owner) and adds `channels` sandbox channels through the HTTP API, as a user would. */
export async function createWorkspace(env: BenchEnv, channels: number): Promise<BenchWorkspace> {
  const signup = await postJson(env.baseUrl, '/api/v1/auth/signup', {
    email: `bench-${env.id}@example.com`,
    password: 'bench-password-1',
    name: 'Bench',
    workspaceName: 'Bench',
  });
  const { token, workspace } = signup as { token: string; workspace: { id: string } };
  const channelIds: string[] = [];
  for (let i = 0; i < channels; i++)
    channelIds.push(
      ((await postJson(env.baseUrl, '/api/v1/channels', { kind: 'sandbox', name: `Bench sandbox ${i + 1}` }, token)) as { id: string }).id,
    );
  return { workspaceId: workspace.id, channelIds, token };
}

/** Publishes the bench flow straight into the database (validated as the API would) and tells the engine. */
export async function publishBenchFlow(env: BenchEnv, workspaceId: string): Promise<void> {
  const validation = validateFlow(BENCH_FLOW);
  if (!validation.ok) throw new Error(`the bench flow is invalid: ${JSON.stringify(validation.problems)}`);
  const em = env.orm.em.fork();
  const flowId = newId();
  const doc = JSON.stringify(BENCH_FLOW);
  await runSql(
    em,
    `insert into flows (id, workspace_id, name, draft, active, published_version) values (:flowId, :workspaceId, 'bench', cast(:doc as jsonb), true, 1)`,
    { flowId, workspaceId, doc },
  );
  await runSql(
    em,
    `insert into flow_versions (id, workspace_id, flow_id, version, document) values (:versionId, :workspaceId, :flowId, 1, cast(:doc as jsonb))`,
    { versionId: newId(), workspaceId, flowId, doc: JSON.stringify(validation.flow) },
  );
  await env.product.engine.flowsChanged(workspaceId);
}

/** The phone of conversation `index` of load phase `phase`: each phase has contacts of its own. */
export function benchPhone(phase: number, index: number): string {
  return `+1${String(200 + phase).padStart(3, '0')}${String(index).padStart(7, '0')}`;
}

/**
 * Creates `count` contacts for a phase, every other one on the "pro" plan, so that the first
 * message of each finds its contact (and both branches of the condition run). Each phase uses
 * fresh contacts because the engine allows 30 runs per contact per minute.
 */
export async function createContacts(env: BenchEnv, workspaceId: string, phase: number, count: number): Promise<void> {
  const phones = Array.from({ length: count }, (_, i) => benchPhone(phase, i));
  await runSql(
    env.orm.em.fork(),
    `insert into contacts (id, workspace_id, phone, name, attributes)
     select gen_random_uuid(), cast(:workspaceId as uuid), p.phone, 'Contact ' || p.ord,
            jsonb_build_object('plan', case when p.ord % 2 = 0 then 'pro' else 'free' end)
       from jsonb_array_elements_text(cast(:phones as jsonb)) with ordinality as p(phone, ord)`,
    // JSON, not an array binding: knex would expand an array into a list of parameters.
    { workspaceId, phones: JSON.stringify(phones) },
  );
}

export async function postJson(baseUrl: string, path: string, body: unknown, token?: string): Promise<unknown> {
  const res = await fetch(baseUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}
