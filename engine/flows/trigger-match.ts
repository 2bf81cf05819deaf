import type { Flow } from './flow.schema.ts';
import { compileGlobalKeywords, type GlobalKeywordConfig, type GlobalKeywordHit } from './global-keywords.ts';
import { JsonLogicEvaluationError } from './json-logic-evaluation.error.ts';
import { compileCondition, toJsonLogicData, type CompiledCondition } from './json-logic.ts';
import { foldCase, keywordMatches, normaliseText, stripTrailingPunctuation } from './keyword-match.ts';
import type { KeywordMode } from './nodes/message-received.node.ts';
import { compileUserPattern, MAX_WORKSPACE_PATTERN_PROGRAM_SIZE } from './user-pattern.ts';

/**
 * How specific a trigger is, most specific first. A message matching several flows starts the
 * flow with the highest priority (`flows.priority`, default 0), and among equal priorities the
 * most specific trigger: keyword triggers rank by mode, then regexes, then triggers that only
 * have a json-logic condition, then catch-alls. Ties go to the version published first.
 */
export const TRIGGER_RANKS = ['exact', 'starts_with', 'contains', 'regex', 'condition', 'catch_all'] as const;
export type TriggerRank = (typeof TRIGGER_RANKS)[number];

/**
 * What a `contains` keyword costs against MAX_WORKSPACE_PATTERN_PROGRAM_SIZE. Searching the first
 * 4,096 characters for a keyword that occurs at every position but never as a whole word takes
 * about 0.14 ms: the whole budget spent on them (1,000 keywords, 20 triggers of 50) costs a
 * message about 140 ms. Exact and starts-with keywords cost next to nothing and are not counted.
 */
const CONTAINS_KEYWORD_PROGRAM_SIZE = 1;

/** A published version of a flow, as the index needs it. */
export interface PublishedFlow {
  flowId: string;
  versionId: string;
  /** Ties between equally specific triggers go to the flow published first. */
  publishedAt: Date;
  /** Higher first, before specificity; absent is 0. */
  priority?: number | undefined;
  /** A flow that passed `validateFlow`. */
  flow: Flow;
}

/** One message trigger, ready to test. */
export interface CompiledTrigger {
  flowId: string;
  versionId: string;
  nodeId: string;
  rank: TriggerRank;
  priority: number;
  channels: ReadonlySet<string> | 'all';
  firstMessageOnly: boolean;
  /** Tests the normalised text (undefined for a message without text). */
  matchesText: (text: PreparedText) => boolean;
  condition: CompiledCondition | undefined;
}

/** A message text prepared once for every trigger: normalised, and case-folded. */
export interface PreparedText {
  normalised: string;
  folded: string;
  /** Each without closing punctuation (see stripTrailingPunctuation), for exact keywords. */
  normalisedBare: string;
  foldedBare: string;
}

/** A trigger the index left out because it could not be compiled safely. */
export interface SkippedTrigger {
  flowId: string;
  nodeId: string;
  /** `refused`: the trigger itself fails a check; `over_budget`: the workspace's patterns together are too big. */
  cause: 'refused' | 'over_budget';
  reason: string;
}

/** The message triggers of a workspace's published flows, in match order, plus its global keywords. */
export interface TriggerIndex {
  readonly triggers: readonly CompiledTrigger[];
  readonly skipped: readonly SkippedTrigger[];
  readonly globalKeywords: ReturnType<typeof compileGlobalKeywords>;
}

/** What the engine knows about an inbound message when it looks for triggers. */
export interface InboundFacts {
  message: { channelId: string; type: string; text?: string | undefined } & Record<string, unknown>;
  contact: Record<string, unknown>;
  conversation: { isFirstMessage: boolean } & Record<string, unknown>;
}

/** A trigger that matched: start `flowId` at `versionId` from node `nodeId`. */
export interface TriggerMatch {
  flowId: string;
  versionId: string;
  nodeId: string;
  rank: TriggerRank;
}

export interface TriggerMatchResult {
  /** Set when the whole message is a global keyword. After an opt-out, `matches` is empty. */
  globalKeyword: GlobalKeywordHit | null;
  /** At most one trigger per flow (its first in match order), highest priority first, then most specific, then by publication. */
  matches: TriggerMatch[];
}

function keywordTest(mode: KeywordMode, keywords: readonly string[], caseInsensitive: boolean): (text: PreparedText) => boolean {
  const prepared = keywords.map((k) => (caseInsensitive ? foldCase(normaliseText(k)) : normaliseText(k)));
  return (text) => {
    const [full, bare] = caseInsensitive ? [text.folded, text.foldedBare] : [text.normalised, text.normalisedBare];
    return prepared.some((k) => keywordMatches(mode, full, bare, k));
  };
}

/**
 * Compiles the message triggers of published flows once (keywords folded, regexes compiled with
 * RE2 semantics, conditions validated) into an index sorted in match order. A trigger that
 * fails a check is left out and listed in `skipped` rather than failing the whole workspace.
 */
export function compileTriggerIndex(flows: readonly PublishedFlow[], globalKeywords: GlobalKeywordConfig = {}): TriggerIndex {
  const entries: { trigger: CompiledTrigger; publishedAt: number; order: number; programSize: number }[] = [];
  const skipped: SkippedTrigger[] = [];
  for (const published of flows) {
    published.flow.nodes.forEach((node, order) => {
      if (node.type !== 'message_received') return;
      const { config } = node;
      const skip = (reason: string) => skipped.push({ flowId: published.flowId, nodeId: node.id, cause: 'refused', reason });
      let condition: CompiledCondition | undefined;
      if (config.condition !== undefined) {
        try {
          condition = compileCondition(config.condition);
        } catch (error) {
          skip(error instanceof Error ? error.message : 'the condition was refused');
          return;
        }
      }
      let rank: TriggerRank;
      let matchesText: (text: PreparedText) => boolean;
      let programSize = 0;
      const match = config.match;
      if (match.kind === 'keyword') {
        // A contains keyword is searched for in the text: one step per character, like a pattern's instruction.
        if (match.mode === 'contains') programSize = match.keywords.length * CONTAINS_KEYWORD_PROGRAM_SIZE;
        rank = match.mode;
        matchesText = keywordTest(match.mode, match.keywords, match.caseInsensitive);
      } else if (match.kind === 'regex') {
        // A version published before patterns ran on RE2 may hold one RE2 cannot compile.
        const compiled = compileUserPattern(match.pattern, match.caseInsensitive);
        if (!compiled.ok) {
          skip(compiled.problem.message);
          return;
        }
        const { pattern } = compiled;
        programSize = pattern.programSize;
        rank = 'regex';
        matchesText = (text) => pattern.test(text.normalised);
      } else {
        rank = condition === undefined ? 'catch_all' : 'condition';
        matchesText = () => true;
      }
      entries.push({
        publishedAt: published.publishedAt.getTime(),
        order,
        programSize,
        trigger: {
          flowId: published.flowId,
          versionId: published.versionId,
          nodeId: node.id,
          rank,
          priority: published.priority ?? 0,
          channels: config.channels === 'all' ? 'all' : new Set(config.channels),
          firstMessageOnly: config.firstMessageOnly,
          matchesText,
          condition,
        },
      });
    });
  }
  const rankOrder = (rank: TriggerRank) => TRIGGER_RANKS.indexOf(rank);
  entries.sort(
    (a, b) =>
      b.trigger.priority - a.trigger.priority ||
      rankOrder(a.trigger.rank) - rankOrder(b.trigger.rank) ||
      a.publishedAt - b.publishedAt ||
      (a.trigger.flowId < b.trigger.flowId ? -1 : a.trigger.flowId > b.trigger.flowId ? 1 : 0) ||
      a.order - b.order,
  );
  // The budget is spent in match order, so the regex triggers published first keep working and a
  // newly published flow cannot push them out.
  const triggers: CompiledTrigger[] = [];
  let programSizeUsed = 0;
  for (const { trigger, programSize } of entries) {
    if (programSizeUsed + programSize > MAX_WORKSPACE_PATTERN_PROGRAM_SIZE) {
      skipped.push({
        flowId: trigger.flowId,
        nodeId: trigger.nodeId,
        cause: 'over_budget',
        reason: `the workspace's regex and "contains" keyword triggers together are too big to check on every message (at most ${MAX_WORKSPACE_PATTERN_PROGRAM_SIZE} steps per character; this one adds ${programSize} to ${programSizeUsed}); use exact or starts-with keywords, or fewer and smaller patterns`,
      });
      continue;
    }
    programSizeUsed += programSize;
    triggers.push(trigger);
  }
  return { triggers, skipped, globalKeywords: compileGlobalKeywords(globalKeywords) };
}

/**
 * Finds what an inbound message starts: first a global keyword (an opt-out stops there), then the
 * matching message triggers in the index's deterministic order, one per flow. Keyword and regex
 * triggers need text; a condition that cannot be evaluated on this data does not match.
 */
export function matchTriggers(index: TriggerIndex, facts: InboundFacts): TriggerMatchResult {
  const rawText = facts.message.text;
  const globalKeyword = index.globalKeywords.match(rawText);
  if (globalKeyword?.action === 'opt_out') return { globalKeyword, matches: [] };

  const normalised = rawText === undefined ? undefined : normaliseText(rawText);
  const folded = normalised === undefined ? undefined : foldCase(normalised);
  const text =
    normalised === undefined || normalised === ''
      ? undefined
      : {
          normalised,
          folded: folded!,
          normalisedBare: stripTrailingPunctuation(normalised),
          foldedBare: stripTrailingPunctuation(folded!),
        };
  let data: unknown;
  const matches: TriggerMatch[] = [];
  const flowsMatched = new Set<string>();
  for (const trigger of index.triggers) {
    if (flowsMatched.has(trigger.flowId)) continue;
    if (trigger.channels !== 'all' && !trigger.channels.has(facts.message.channelId)) continue;
    if (trigger.firstMessageOnly && !facts.conversation.isFirstMessage) continue;
    const needsText = trigger.rank !== 'condition' && trigger.rank !== 'catch_all';
    if (needsText && (text === undefined || !trigger.matchesText(text))) continue;
    if (trigger.condition) {
      data ??= toJsonLogicData({ message: facts.message, contact: facts.contact, conversation: facts.conversation });
      try {
        if (!trigger.condition.test(data)) continue;
      } catch (error) {
        if (error instanceof JsonLogicEvaluationError) continue;
        throw error;
      }
    }
    flowsMatched.add(trigger.flowId);
    matches.push({ flowId: trigger.flowId, versionId: trigger.versionId, nodeId: trigger.nodeId, rank: trigger.rank });
  }
  return { globalKeyword, matches };
}

/**
 * The triggers that adding `added` to a workspace's active flows would leave out for want of
 * pattern budget, and that are in today's index. Publishing or switching on a flow must not
 * silently switch off another flow's trigger (nor one of its own): the caller refuses instead.
 */
export function triggersPushedOut(active: readonly PublishedFlow[], added: PublishedFlow): SkippedTrigger[] {
  const key = (s: SkippedTrigger) => `${s.flowId}/${s.nodeId}`;
  const before = new Set(
    compileTriggerIndex(active)
      .skipped.filter((s) => s.cause === 'over_budget')
      .map(key),
  );
  return compileTriggerIndex([...active.filter((f) => f.flowId !== added.flowId), added]).skipped.filter(
    (s) => s.cause === 'over_budget' && !before.has(key(s)),
  );
}
