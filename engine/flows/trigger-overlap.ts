import type { Flow } from './flow.schema.ts';
import { compileTriggerIndex, matchTriggers, TRIGGER_RANKS, type PublishedFlow, type TriggerRank } from './trigger-match.ts';

/** A flow as overlap checks need it: the published shape plus the name people know it by. */
export interface NamedFlow extends PublishedFlow {
  name: string;
}

/** Another active flow that answers some of the same messages as the flow being published. */
export interface TriggerOverlap {
  otherFlowId: string;
  otherFlowName: string;
  /** A message both flows answer (a keyword), or null when one of them answers every message. */
  example: string | null;
  winnerFlowId: string;
  winnerFlowName: string;
  /** Why the winner starts: `priority`, `specific` (its trigger is more specific) or `published_first`. */
  reason: 'priority' | 'specific' | 'published_first';
  /** The whole warning in words, e.g. `"Sales" also answers "hi": "Sales" wins because it has the higher priority (5 against 0).` */
  message: string;
}

const RANK_WORDS: Record<TriggerRank, string> = {
  exact: 'an exact keyword',
  starts_with: 'a "starts with" keyword',
  contains: 'a "contains" keyword',
  regex: 'a pattern',
  condition: 'a condition',
  catch_all: 'any message',
};

/** A text no keyword list is likely to hold: asks "does this flow answer every message?". */
const ANY_TEXT_PROBE = 'anything else 7f3a';

/** The texts worth trying against both flows: every keyword either trigger lists, and a neutral one. */
function probesOf(flows: readonly Flow[]): string[] {
  const texts = new Set<string>();
  for (const flow of flows)
    for (const node of flow.nodes)
      if (node.type === 'message_received' && node.config.match.kind === 'keyword')
        for (const k of node.config.match.keywords) texts.add(k);
  texts.add(ANY_TEXT_PROBE);
  return [...texts];
}

/** A channel both flows' triggers listen on (null: no channel in common), as a sample message's channel. */
function sharedChannel(a: Flow, b: Flow): string | null {
  const channelsOf = (flow: Flow): 'all' | Set<string> => {
    const sets = flow.nodes.flatMap((n) => (n.type === 'message_received' ? [n.config.channels] : []));
    if (sets.some((c) => c === 'all')) return 'all';
    return new Set(sets.flatMap((c) => (c === 'all' ? [] : c)));
  };
  const ca = channelsOf(a);
  const cb = channelsOf(b);
  if (ca === 'all' && cb === 'all') return 'any-channel';
  if (ca === 'all') return cb === 'all' ? null : ([...cb][0] ?? null);
  if (cb === 'all') return [...ca][0] ?? null;
  return [...ca].find((c) => cb.has(c)) ?? null;
}

/**
 * The active flows whose message triggers answer some of the same messages as `candidate`, and
 * which of the two the matcher starts, and why. Decided by the matcher itself on sample messages
 * (each keyword either flow lists, and a neutral text for catch-alls), so the warning can never
 * disagree with what happens. Patterns and conditions are only tried on those samples.
 */
export function findTriggerOverlaps(candidate: NamedFlow, active: readonly NamedFlow[]): TriggerOverlap[] {
  const overlaps: TriggerOverlap[] = [];
  for (const other of active) {
    if (other.flowId === candidate.flowId) continue;
    const channelId = sharedChannel(candidate.flow, other.flow);
    if (channelId === null) continue;
    const index = compileTriggerIndex([candidate, other]);
    const both = (text: string) => {
      const result = matchTriggers(index, {
        message: { channelId, type: 'text', text },
        contact: {},
        conversation: { isFirstMessage: true },
      });
      return result.matches.length === 2 ? result.matches : null;
    };
    const probes = probesOf([candidate.flow, other.flow]);
    const anyText = both(ANY_TEXT_PROBE);
    const keywordHit = probes.find((text) => text !== ANY_TEXT_PROBE && both(text) !== null);
    const matches = anyText ?? (keywordHit !== undefined ? both(keywordHit) : null);
    if (!matches) continue;
    const [first, second] = matches as [(typeof matches)[0], (typeof matches)[0]];
    const winner = first.flowId === candidate.flowId ? candidate : other;
    const loser = winner === candidate ? other : candidate;
    const example = anyText ? null : keywordHit!;
    const winnerPriority = winner.priority ?? 0;
    const loserPriority = loser.priority ?? 0;
    let reason: TriggerOverlap['reason'];
    let because: string;
    if (winnerPriority !== loserPriority) {
      reason = 'priority';
      because = `it has the higher priority (${winnerPriority} against ${loserPriority})`;
    } else if (TRIGGER_RANKS.indexOf(first.rank) < TRIGGER_RANKS.indexOf(second.rank)) {
      reason = 'specific';
      because = `its trigger is more specific (${RANK_WORDS[first.rank]} against ${RANK_WORDS[second.rank]})`;
    } else {
      reason = 'published_first';
      because = 'it was published first (both triggers are equally specific and have the same priority)';
    }
    const what = example === null ? 'every message' : `"${example}"`;
    overlaps.push({
      otherFlowId: other.flowId,
      otherFlowName: other.name,
      example,
      winnerFlowId: winner.flowId,
      winnerFlowName: winner.name,
      reason,
      message: `"${other.name}" also answers ${what}${channelId === 'any-channel' ? '' : ' on a channel this flow listens on'}: "${winner.name}" wins because ${because}.`,
    });
  }
  return overlaps;
}

/**
 * What a flow's message triggers listen for, in words: `"hi", "price"`, `any message`, `messages
 * matching /…/`. Used to explain a test message that started nothing.
 */
export function describeTriggers(flow: Flow): string {
  const parts: string[] = [];
  for (const node of flow.nodes) {
    if (node.type !== 'message_received') continue;
    const { match } = node.config;
    if (match.kind === 'keyword')
      parts.push(
        ...match.keywords.map(
          (k) => `"${k}"${match.mode === 'exact' ? '' : match.mode === 'starts_with' ? ' (at the start)' : ' (anywhere)'}`,
        ),
      );
    else if (match.kind === 'regex') parts.push(`messages matching /${match.pattern}/`);
    else parts.push(node.config.condition === undefined ? 'any message' : 'messages meeting its condition');
    if (node.config.firstMessageOnly) parts[parts.length - 1] += ' as the first message of a conversation';
  }
  return parts.length === 0 ? 'no messages (it has no "Message received" trigger)' : parts.join(', ');
}
