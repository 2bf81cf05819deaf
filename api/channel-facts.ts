import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { NotFoundError } from '../engine/errors/app-error.ts';
import { CHANNEL_KINDS, type ChannelKind } from '../engine/channels/channel-kind.ts';
import { runSql } from '../platform/pipeline/run-sql.ts';
import { RememberedFacts } from '../platform/remembered-facts.ts';

/** Channels remembered at most. */
const MAX_CHANNELS = 10_000;

const CHANNEL_FACTS_SQL = `select workspace_id as "workspaceId", kind from channels where id = :id and deleted_at is null`;

const FactsRow = z.object({ workspaceId: z.string(), kind: z.enum(CHANNEL_KINDS) });
type Facts = z.infer<typeof FactsRow>;

/**
 * A channel's workspace and kind, which never change once it is created, remembered after the
 * first look-up: the routes every inbound message takes (the sandbox's) need them, not the
 * channel's row. Whether the channel is still live is not remembered: the statement that stores
 * an inbound message checks it (a deleted channel's message answers NotFoundError('channel') there).
 */
export class ChannelFacts {
  private readonly facts = new RememberedFacts<Facts>(MAX_CHANNELS);

  /** The channel's kind when it is the workspace's (live when first seen); NotFoundError otherwise. */
  async kindOf(em: () => EntityManager, workspaceId: string, channelId: string): Promise<ChannelKind> {
    const facts = await this.facts.get(
      channelId,
      async () => (await runSql(em(), CHANNEL_FACTS_SQL, { id: channelId }, { row: FactsRow })).rows[0],
    );
    // Another workspace's channel is answered as a missing one.
    if (!facts || facts.workspaceId !== workspaceId) throw new NotFoundError('channel', channelId);
    return facts.kind;
  }
}
