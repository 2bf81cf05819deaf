import { z } from 'zod';
import type { Orm } from '../../platform/db/orm.ts';
import { runSql } from '../../platform/pipeline/run-sql.ts';
import { RememberedFacts } from '../../platform/remembered-facts.ts';
import { WebhookSettingsSchema } from './channel-payloads.ts';
import { openWebhookSecret } from './channel-secret.ts';

const CHANNEL_SQL = `select settings, credentials from channels where id = cast(:channelId as uuid) and kind = 'webhook' and deleted_at is null`;
const WebhookChannelRow = z.object({ settings: z.unknown(), credentials: z.instanceof(Buffer).nullable() });
/** Channels remembered at most. */
const MAX_CHANNELS = 10_000;

/** What every signed request in and every message out needs of a webhook channel. */
export interface WebhookChannelKeys {
  /** Where the channel's messages are POSTed; null when its settings hold no valid URL. */
  url: string | null;
  /** The signing secret, opened. */
  secret: string;
}

/**
 * A webhook channel's URL and signing secret, read once per process: both are set when the
 * channel is created and never change (a deleted channel's secret is erased, but the channel is
 * not live then). Whether it is still live is checked where it matters, in the statement that
 * acts: the inbound store refuses a deleted channel's message (404), the send claim its sends
 * (`channel_deleted`), and a status callback checks it here (`isLive`). This took two
 * statements off every message of the webhook route (the signed request's and its reply's).
 */
export class WebhookChannels {
  private readonly keys = new RememberedFacts<WebhookChannelKeys>(MAX_CHANNELS);

  constructor(private readonly deps: { orm: Orm; secretKey: Buffer }) {}

  /** The live channel's keys when first asked, remembered since; undefined when no live webhook channel has this id. */
  keysOf(channelId: string): Promise<WebhookChannelKeys | undefined> {
    return this.keys.get(channelId, async () => {
      const row = (await this.read(channelId))[0];
      if (!row?.credentials) return undefined;
      const settings = WebhookSettingsSchema.safeParse(row.settings);
      return {
        url: settings.success ? settings.data.url : null,
        secret: openWebhookSecret(this.deps.secretKey, channelId, row.credentials),
      };
    });
  }

  /** Whether the channel is live now (not remembered). */
  async isLive(channelId: string): Promise<boolean> {
    return (await this.read(channelId)).length > 0;
  }

  private async read(channelId: string) {
    return (await runSql(this.deps.orm.em.fork(), CHANNEL_SQL, { channelId }, { row: WebhookChannelRow })).rows;
  }
}
