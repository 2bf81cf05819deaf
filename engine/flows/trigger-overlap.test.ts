import { describe, expect, it } from 'vitest';
import { doc, edge, keywordTrigger, node } from './flow-document.fixture.ts';
import type { Flow } from './flow.schema.ts';
import { compileTriggerIndex, matchTriggers } from './trigger-match.ts';
import { describeTriggers, findTriggerOverlaps, type NamedFlow } from './trigger-overlap.ts';
import { validateFlow } from './validate-flow.ts';

const CHANNEL = '6f1c2a8e-3b1d-4c59-9e0a-2b7d5f4e8a11';
const OTHER_CHANNEL = '0b6a9a51-7a3e-4a8d-8c43-1f7c0b1e2d33';

function flowWith(trigger: ReturnType<typeof node>): Flow {
  const result = validateFlow(doc([trigger, node('e', 'end')], [edge(trigger.id, 'out', 'e')]));
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.flow;
}

function named(flowId: string, trigger: ReturnType<typeof node>, opts: { minute?: number; priority?: number } = {}): NamedFlow {
  return {
    flowId,
    name: flowId,
    versionId: `${flowId}-v1`,
    publishedAt: new Date(Date.UTC(2025, 0, 1, 0, opts.minute ?? 0)),
    priority: opts.priority,
    flow: flowWith(trigger),
  };
}

describe('when a flow has a higher priority', () => {
  it('starts before a more specific trigger of a flow with a lower priority', () => {
    const index = compileTriggerIndex([
      named('exact', keywordTrigger('t', ['hi'])),
      named('catch-all', node('t', 'message_received', { match: { kind: 'any' } }), { priority: 5 }),
    ]);
    const result = matchTriggers(index, {
      message: { channelId: CHANNEL, type: 'text', text: 'hi' },
      contact: {},
      conversation: { isFirstMessage: false },
    });
    expect(result.matches.map((m) => m.flowId)).toEqual(['catch-all', 'exact']);
  });
});

describe('findTriggerOverlaps', () => {
  it('names the flow published first as the winner when both listen for the same exact keyword', () => {
    const older = named('Price list', keywordTrigger('t', ['hi', 'price']), { minute: 1 });
    const draft = named('Welcome', keywordTrigger('t', ['hi']), { minute: 9 });
    const [overlap, ...rest] = findTriggerOverlaps(draft, [older]);
    expect(rest).toEqual([]);
    expect(overlap).toMatchObject({ otherFlowName: 'Price list', example: 'hi', winnerFlowName: 'Price list', reason: 'published_first' });
    expect(overlap!.message).toBe(
      '"Price list" also answers "hi": "Price list" wins because it was published first (both triggers are equally specific and have the same priority).',
    );
  });

  it('says a keyword beats a catch-all because it is more specific', () => {
    const catchAll = named('Fallback', node('t', 'message_received', { match: { kind: 'any' } }), { minute: 1 });
    const draft = named('Welcome', keywordTrigger('t', ['hi']), { minute: 9 });
    const [overlap] = findTriggerOverlaps(draft, [catchAll]);
    expect(overlap).toMatchObject({ example: 'hi', winnerFlowName: 'Welcome', reason: 'specific' });
    expect(overlap!.message).toContain('an exact keyword against any message');
  });

  it('reports two catch-alls as overlapping on every message, and priority decides', () => {
    const a = named('A', node('t', 'message_received', { match: { kind: 'any' } }), { minute: 1 });
    const b = named('B', node('t', 'message_received', { match: { kind: 'any' } }), { minute: 9, priority: 2 });
    const [overlap] = findTriggerOverlaps(b, [a]);
    expect(overlap).toMatchObject({ example: null, winnerFlowName: 'B', reason: 'priority' });
    expect(overlap!.message).toBe('"A" also answers every message: "B" wins because it has the higher priority (2 against 0).');
  });

  it('finds nothing when the keywords differ or the channels do not meet', () => {
    const price = named('Price', keywordTrigger('t', ['price']), { minute: 1 });
    expect(findTriggerOverlaps(named('Hi', keywordTrigger('t', ['hi'])), [price])).toEqual([]);
    const onOne = named('One', node('t', 'message_received', { channels: [CHANNEL], match: { kind: 'any' } }));
    const onOther = named('Other', node('t', 'message_received', { channels: [OTHER_CHANNEL], match: { kind: 'any' } }));
    expect(findTriggerOverlaps(onOne, [onOther])).toEqual([]);
  });

  it('ignores the flow itself among the active flows (publishing again)', () => {
    const flow = named('Same', keywordTrigger('t', ['hi']));
    expect(findTriggerOverlaps(flow, [flow])).toEqual([]);
  });
});

describe('describeTriggers', () => {
  it('lists keywords in quotes and says when a flow answers any message', () => {
    expect(describeTriggers(flowWith(keywordTrigger('t', ['hi', 'price'])))).toBe('"hi", "price"');
    expect(describeTriggers(flowWith(node('t', 'message_received', { match: { kind: 'any' } })))).toBe('any message');
  });
});
