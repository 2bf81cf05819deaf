import { BufferJSON, proto } from '@whiskeysockets/baileys';
import { z } from 'zod';
import type { Orm } from '../../platform/db/orm.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { openJsonText, sealText } from './sealed-json.ts';

const SAVE_SQL = `insert into whatsapp_sent_content (channel_id, wa_message_id, content) values (cast(:channelId as uuid), :id, :content)
 on conflict (channel_id, wa_message_id) do nothing`;
const GET_SQL = `select content from whatsapp_sent_content where channel_id = cast(:channelId as uuid) and wa_message_id = :id`;
const SentContentRow = z.object({ content: z.instanceof(Buffer) });

/*
 * Retries come within minutes of a send; two weeks covers a phone that was off for days. Deleted
 * in batches so that one prune never holds locks for long.
 */
export const SENT_CONTENT_KEEP_MS = 14 * 24 * 60 * 60_000;
const PRUNE_BATCH_ROWS = 5_000;
const PRUNE_SQL = `delete from whatsapp_sent_content where ctid in (
  select ctid from whatsapp_sent_content where created_at < cast(:before as timestamptz) limit ${PRUNE_BATCH_ROWS})`;

function aad(channelId: string, id: string): string {
  return `whatsapp-sent:${channelId}:${id}`;
}

/**
 * The content of messages this number sent, for Baileys' `getMessage`: when a recipient's device
 * could not decrypt a message it asks for a retry, and Baileys must encrypt the same content again.
 */
export class SentContentStore {
  constructor(private readonly deps: { orm: Orm; secretKey: Buffer }) {}

  async save(channelId: string, waMessageId: string, content: proto.IMessage): Promise<void> {
    const json = JSON.stringify(proto.Message.toObject(proto.Message.fromObject(content)), BufferJSON.replacer);
    await runSql(this.deps.orm.em.fork(), SAVE_SQL, {
      channelId,
      id: waMessageId,
      content: sealText(this.deps.secretKey, json, aad(channelId, waMessageId)),
    });
  }

  /** Deletes content older than SENT_CONTENT_KEEP_MS (one batch); returns the rows deleted. */
  async prune(now: Date): Promise<number> {
    return (await runSql(this.deps.orm.em.fork(), PRUNE_SQL, { before: new Date(now.getTime() - SENT_CONTENT_KEEP_MS).toISOString() }))
      .rowCount;
  }

  async get(channelId: string, waMessageId: string): Promise<proto.IMessage | undefined> {
    const row = (await runSql(this.deps.orm.em.fork(), GET_SQL, { channelId, id: waMessageId }, { row: SentContentRow })).rows[0];
    if (!row) return undefined;
    return proto.Message.fromObject(
      openJsonText(this.deps.secretKey, row.content, aad(channelId, waMessageId), BufferJSON.reviver) as object,
    );
  }
}
