import { decryptPollVote, getAggregateVotesInPollMessage, type proto } from '@whiskeysockets/baileys';
import { z } from 'zod';

/*
 * A poll as we keep it in the poll message's `metadata.poll`: its question and options, the key
 * WhatsApp encrypts its votes with (the creation message's `messageSecret`, base64) and the
 * JIDs its creator may be known by (votes are bound to the creator's and the voter's JIDs, and
 * a chat may be addressed by LID or by phone, so each known spelling is tried). Votes are kept
 * per voter (a new vote replaces the voter's previous one), tallies recomputed from them.
 */
export const StoredPollSchema = z.object({
  question: z.string(),
  options: z.array(z.string()),
  selectableCount: z.number().int().nonnegative().nullable().default(null),
  encKey: z.string().nullable().default(null),
  creatorJids: z.array(z.string()).default([]),
  /** By voter: the names chosen, or null when the vote could not be decrypted. */
  votes: z.record(z.string(), z.object({ options: z.array(z.string()).nullable(), at: z.string() })).default({}),
  tallies: z.record(z.string(), z.number()).default({}),
});
export type StoredPoll = z.infer<typeof StoredPollSchema>;

/** An encrypted vote as it arrives (`pollUpdateMessage.vote`). */
export interface EncryptedVote {
  encPayload: Uint8Array;
  encIv: Uint8Array;
}

/**
 * The option names a vote chose, decrypted with Baileys' own `decryptPollVote` and matched to the
 * options with `getAggregateVotesInPollMessage`; null when no known JID pair opens it.
 */
export function decryptVote(poll: StoredPoll, vote: EncryptedVote, ctx: { pollWaId: string; voterJids: string[] }): string[] | null {
  if (!poll.encKey) return null;
  const pollEncKey = Buffer.from(poll.encKey, 'base64');
  for (const pollCreatorJid of poll.creatorJids) {
    for (const voterJid of ctx.voterJids) {
      let decrypted: proto.Message.IPollVoteMessage;
      try {
        decrypted = decryptPollVote(vote, { pollCreatorJid, pollMsgId: ctx.pollWaId, pollEncKey, voterJid });
      } catch {
        // AES-GCM refuses a wrong key: not this spelling of the JIDs.
        continue;
      }
      const aggregate = getAggregateVotesInPollMessage({
        message: { pollCreationMessage: { options: poll.options.map((optionName) => ({ optionName })) } },
        pollUpdates: [{ pollUpdateMessageKey: { remoteJid: voterJid }, vote: decrypted }],
      });
      return aggregate.filter((o) => o.voters.length > 0).map((o) => o.name);
    }
  }
  return null;
}

/** The poll with `voter`'s vote recorded (an empty choice takes the vote back) and the tallies recomputed. */
export function withVote(poll: StoredPoll, voter: string, options: string[] | null, at: Date): StoredPoll {
  const votes = { ...poll.votes };
  if (options !== null && options.length === 0) delete votes[voter];
  else votes[voter] = { options, at: at.toISOString() };
  const tallies: Record<string, number> = Object.fromEntries(poll.options.map((o) => [o, 0]));
  for (const v of Object.values(votes)) for (const o of v.options ?? []) tallies[o] = (tallies[o] ?? 0) + 1;
  return { ...poll, votes, tallies };
}
