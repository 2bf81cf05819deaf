import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../../platform/ids.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';

const DAY_MS = 86_400_000;

/** One contact with a conversation on a channel, as the inbound store would write it. */
export async function seedContact(
  em: EntityManager,
  p: { workspaceId: string; channelId: string; phone: string; name?: string },
): Promise<{ contactId: string; conversationId: string }> {
  const contactId = newId();
  const conversationId = newId();
  await runSql(
    em,
    `insert into contacts (id, workspace_id, phone, name, last_seen_at) values (:contactId, :workspaceId, :phone, :name, now())`,
    { contactId, workspaceId: p.workspaceId, phone: p.phone, name: p.name ?? 'Someone' },
  );
  await runSql(
    em,
    `insert into contact_identities (id, workspace_id, contact_id, channel_id, kind, value) values (:id, :workspaceId, :contactId, :channelId, 'phone', :phone)`,
    { id: newId(), workspaceId: p.workspaceId, contactId, channelId: p.channelId, phone: p.phone },
  );
  await runSql(
    em,
    `insert into conversations (id, workspace_id, channel_id, contact_id) values (:conversationId, :workspaceId, :channelId, :contactId)`,
    { conversationId, workspaceId: p.workspaceId, channelId: p.channelId, contactId },
  );
  return { contactId, conversationId };
}

/**
 * Messages `ageDays` old in a conversation (handled inbound and sent outbound, alternating); with
 * `mediaDir`, every third has a media file written to the media store.
 */
export async function seedMessages(
  em: EntityManager,
  p: {
    workspaceId: string;
    channelId: string;
    contactId: string;
    conversationId: string;
    count: number;
    ageDays: number;
    text: string;
    mediaDir?: string;
  },
): Promise<{ ids: string[]; files: string[] }> {
  const ids: string[] = [];
  const files: string[] = [];
  const at = new Date(Date.now() - p.ageDays * DAY_MS);
  for (let i = 0; i < p.count; i++) {
    const id = newId();
    ids.push(id);
    let media: object | null = null;
    if (p.mediaDir && i % 3 === 0) {
      const storageKey = `${p.channelId}/${id}.jpg`;
      const path = join(p.mediaDir, storageKey);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, Buffer.alloc(1_000, 7));
      files.push(path);
      media = { storageKey, mimeType: 'image/jpeg', sizeBytes: 1_000 };
    }
    const inbound = i % 2 === 0;
    await runSql(
      em,
      `insert into messages (id, workspace_id, channel_id, conversation_id, contact_id, direction, sender, type, text, media, status, handled_at, provider_message_id, created_at)
       values (:id, :workspaceId, :channelId, :conversationId, :contactId, :direction, :sender, :type, :text, cast(:media as jsonb), :status, :at, :providerId, :at)`,
      {
        id,
        workspaceId: p.workspaceId,
        channelId: p.channelId,
        conversationId: p.conversationId,
        contactId: p.contactId,
        direction: inbound ? 'inbound' : 'outbound',
        sender: inbound ? 'contact' : 'bot',
        type: media ? 'image' : 'text',
        text: `${p.text} ${i}`,
        media: media ? JSON.stringify(media) : null,
        status: inbound ? 'received' : 'delivered',
        at: at.toISOString(),
        providerId: `wamid-${id}`,
      },
    );
  }
  return { ids, files };
}

/** A run of a flow version `ageDays` old, with `steps` steps; `status` waiting keeps it waiting. */
export async function seedRun(
  em: EntityManager,
  p: {
    workspaceId: string;
    flowId: string;
    versionId: string;
    contactId: string;
    conversationId: string;
    channelId: string;
    status: 'completed' | 'waiting' | 'failed';
    ageDays: number;
    steps: number;
  },
): Promise<string> {
  const runId = newId();
  const at = new Date(Date.now() - p.ageDays * DAY_MS).toISOString();
  await runSql(
    em,
    `insert into runs (id, workspace_id, flow_id, flow_version_id, contact_id, conversation_id, channel_id, status, state, started_at, updated_at, ended_at, wait)
     values (:runId, :workspaceId, :flowId, :versionId, :contactId, :conversationId, :channelId, :status, '{"vars":{"email":"private@example.com"},"attempts":{}}', :at, :at,
             case when :status = 'waiting' then null else cast(:at as timestamptz) end, case when :status = 'waiting' then '{"kind":"reply","dueAt":null}'::jsonb else null end)`,
    { runId, ...p, at },
  );
  for (let seq = 1; seq <= p.steps; seq++) {
    await runSql(
      em,
      `insert into run_steps (id, workspace_id, run_id, seq, node_id, node_type, input, output, started_at, finished_at) values (:id, :workspaceId, :runId, :seq, 'n1', 'send_message', '{"text":"private step"}', '{}', :at, :at)`,
      {
        id: newId(),
        workspaceId: p.workspaceId,
        runId,
        seq,
        at,
      },
    );
  }
  return runId;
}
