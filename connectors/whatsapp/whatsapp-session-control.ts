import type { ChannelEvent } from '../../engine/channels/channel-event.ts';
import type { ChannelSessions } from '../../engine/ports/channel-sessions.port.ts';
import type { Orm } from '../../platform/db/orm.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import type { Redis } from '../../platform/redis.ts';
import { ChannelEvents } from './channel-event-bus.ts';
import { ChannelLeases } from './channel-lease.ts';
import { publishSessionCommand, type SessionCommand } from './session-commands.ts';
import { requestConnect, setChannelStatus, setDesired } from './whatsapp-sessions.sql.ts';

/**
 * The API's side of WhatsApp sessions (ChannelSessions): what is wanted goes to the
 * `whatsapp_sessions` row, which every connector process reads, and a command on Redis pub/sub
 * wakes the process holding the session (or the one that will take it) at once.
 */
export class WhatsappSessionControl implements ChannelSessions {
  private readonly events: ChannelEvents;

  constructor(private readonly deps: { orm: Orm; redis: Redis; prefix: string }) {
    this.events = new ChannelEvents({ redis: deps.redis, prefix: deps.prefix });
  }

  async connect(channelId: string, pairingPhone: string | null): Promise<void> {
    const em = this.deps.orm.em.fork();
    await requestConnect(em, channelId, pairingPhone);
    await setChannelStatus(em, channelId, 'connecting', 'connect_requested');
    await this.command(channelId, 'connect');
  }

  async logout(channelId: string): Promise<void> {
    const em = this.deps.orm.em.fork();
    await setDesired(em, channelId, false);
    const leases = new ChannelLeases({ redis: this.deps.redis, prefix: this.deps.prefix, holderId: 'api', ttlMs: 1 });
    if (await leases.holder(channelId)) {
      // The holder logs out on WhatsApp's side and wipes the keys with its fencing token.
      await this.command(channelId, 'logout');
      return;
    }
    // Nobody holds the session, and it is no longer wanted, so nobody will write keys again.
    await runSql(em, `delete from whatsapp_auth where channel_id = cast(:channelId as uuid)`, { channelId });
    await setChannelStatus(em, channelId, 'logged_out', 'logout_requested');
  }

  async remove(channelId: string): Promise<void> {
    // The number is unlinked and its keys wiped by the process holding the session; nobody takes it again.
    await setDesired(this.deps.orm.em.fork(), channelId, false);
    await this.command(channelId, 'logout');
  }

  async settingsChanged(channelId: string): Promise<void> {
    await this.command(channelId, 'reload_settings');
  }

  subscribe(channelId: string, onEvent: (event: ChannelEvent) => void): Promise<() => Promise<void>> {
    return this.events.subscribe(channelId, onEvent);
  }

  latestLoginCode(channelId: string): Promise<ChannelEvent | null> {
    return this.events.latestLoginCode(channelId);
  }

  private command(channelId: string, action: SessionCommand['action']): Promise<void> {
    return publishSessionCommand(this.deps.redis, this.deps.prefix, { channelId, action });
  }
}
