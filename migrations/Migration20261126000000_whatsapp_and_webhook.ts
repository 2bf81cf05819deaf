import { Migration } from '@mikro-orm/migrations';

/**
 * WhatsApp sessions (whether a session is wanted, the fencing token of the last lease holder
 * that wrote), the encrypted Baileys auth state (creds and every signal key type, one row each),
 * and the content of messages we sent (served back to Baileys' `getMessage` for retries). The
 * webhook channel needs no table: its URL is in `channels.settings`, its secret in `credentials`.
 */
export class Migration20261126000000_whatsapp_and_webhook extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table whatsapp_sessions (
      channel_id uuid primary key references channels(id) on delete cascade,
      -- True from a connect request until a logout: a connector process keeps a socket open for it.
      desired boolean not null default false,
      pairing_phone text,
      -- The highest lease fencing token that wrote auth state; a write with a lower one is refused.
      fence_token bigint not null default 0,
      connect_requested_at timestamptz,
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create table whatsapp_auth (
      channel_id uuid not null references channels(id) on delete cascade,
      type text not null,
      id text not null,
      -- AES-256-GCM under ONEMESSAGE_SECRET_KEY, AAD "whatsapp-auth:<channel>:<type>:<id>".
      value bytea not null,
      updated_at timestamptz not null default now(),
      primary key (channel_id, type, id)
    )`);
    this.addSql(`create table whatsapp_sent_content (
      channel_id uuid not null references channels(id) on delete cascade,
      wa_message_id text not null,
      -- The proto.IMessage we sent, BufferJSON, sealed like the auth state (it is message content).
      content bytea not null,
      created_at timestamptz not null default now(),
      primary key (channel_id, wa_message_id)
    )`);
    this.addSql(`create index whatsapp_sent_content_age on whatsapp_sent_content (created_at)`);
  }

  override async down(): Promise<void> {
    for (const table of ['whatsapp_sent_content', 'whatsapp_auth', 'whatsapp_sessions']) this.addSql(`drop table if exists ${table}`);
  }
}
