import { describe, expect, it } from 'vitest';
import { doc, edge, keywordTrigger, node } from './flow-document.fixture.ts';
import type { Flow } from './flow.schema.ts';
import { compileTriggerIndex, matchTriggers, triggersPushedOut, type InboundFacts, type PublishedFlow } from './trigger-match.ts';
import { compileUserPattern, MAX_WORKSPACE_PATTERN_PROGRAM_SIZE } from './user-pattern.ts';
import { validateFlow } from './validate-flow.ts';
import { cpuMsOf } from '../../test/support/cpu-time.ts';

const CHANNEL = '6f1c2a8e-3b1d-4c59-9e0a-2b7d5f4e8a11';
const OTHER_CHANNEL = '0b6a9a51-7a3e-4a8d-8c43-1f7c0b1e2d33';

function flowWith(trigger: ReturnType<typeof node>): Flow {
  const result = validateFlow(doc([trigger, node('e', 'end')], [edge(trigger.id, 'out', 'e')]));
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.flow;
}

let published = 0;
function publish(flowId: string, trigger: ReturnType<typeof node>): PublishedFlow {
  published += 1;
  return { flowId, versionId: `${flowId}-v1`, publishedAt: new Date(Date.UTC(2025, 0, 1, 0, published)), flow: flowWith(trigger) };
}

function facts(text: string | undefined, overrides: Partial<InboundFacts> = {}): InboundFacts {
  return {
    message: { channelId: CHANNEL, type: text === undefined ? 'image' : 'text', text },
    contact: { attributes: { plan: 'pro' }, tags: ['vip'] },
    conversation: { isFirstMessage: false },
    ...overrides,
  };
}

const flowIds = (index: ReturnType<typeof compileTriggerIndex>, f: InboundFacts) => matchTriggers(index, f).matches.map((m) => m.flowId);

describe('when several flows match the same message', () => {
  const index = compileTriggerIndex([
    publish('catch-all', node('t', 'message_received', { match: { kind: 'any' } })),
    publish('condition', node('t', 'message_received', { condition: { in: ['vip', { var: 'contact.tags' }] } })),
    publish('regex', node('t', 'message_received', { match: { kind: 'regex', pattern: '^price' } })),
    publish('contains', keywordTrigger('t', ['price'], 'contains')),
    publish('starts', keywordTrigger('t', ['price'], 'starts_with')),
    publish('exact', keywordTrigger('t', ['price'])),
  ]);

  it('orders them exact, starts-with, contains, regex, condition-only, catch-all', () => {
    expect(flowIds(index, facts('price'))).toEqual(['exact', 'starts', 'contains', 'regex', 'condition', 'catch-all']);
  });

  it('drops the ones that do not match', () => {
    expect(flowIds(index, facts('PRICE list please'))).toEqual(['starts', 'contains', 'regex', 'condition', 'catch-all']);
    expect(flowIds(index, facts('what is the price?'))).toEqual(['contains', 'condition', 'catch-all']);
  });

  it('reports the rank of each match', () => {
    expect(matchTriggers(index, facts('price')).matches[0]).toEqual({ flowId: 'exact', versionId: 'exact-v1', nodeId: 't', rank: 'exact' });
  });
});

describe('when two flows are equally specific', () => {
  it('puts the flow published first ahead, whatever the input order', () => {
    const first = { ...publish('first', keywordTrigger('t', ['hi'])), publishedAt: new Date('2025-01-01T00:00:00Z') };
    const second = { ...publish('second', keywordTrigger('t', ['hi'])), publishedAt: new Date('2025-02-01T00:00:00Z') };
    expect(flowIds(compileTriggerIndex([second, first]), facts('hi'))).toEqual(['first', 'second']);
  });
});

describe('when one flow has several matching triggers', () => {
  it('returns the flow once, with its most specific trigger', () => {
    const result = validateFlow(
      doc(
        [node('any', 'message_received'), keywordTrigger('kw', ['hi']), node('e', 'end')],
        [edge('any', 'out', 'e'), edge('kw', 'out', 'e', 'e2')],
      ),
    );
    if (!result.ok) throw new Error('fixture');
    const index = compileTriggerIndex([{ flowId: 'f', versionId: 'v', publishedAt: new Date(0), flow: result.flow }]);
    expect(matchTriggers(index, facts('hi')).matches).toEqual([{ flowId: 'f', versionId: 'v', nodeId: 'kw', rank: 'exact' }]);
  });
});

describe('when keywords are matched', () => {
  it('ignores case, surrounding spaces and closing punctuation for exact keywords', () => {
    const index = compileTriggerIndex([publish('f', keywordTrigger('t', ['Hello there']))]);
    expect(flowIds(index, facts('  hello   THERE! '))).toEqual(['f']);
    expect(flowIds(index, facts('hello there friend'))).toEqual([]);
  });

  it('matches contains and starts-with on whole words only', () => {
    const index = compileTriggerIndex([
      publish('c', keywordTrigger('t', ['hi'], 'contains')),
      publish('s', keywordTrigger('t', ['hi'], 'starts_with')),
    ]);
    expect(flowIds(index, facts('oh hi!'))).toEqual(['c']);
    expect(flowIds(index, facts('hi, there'))).toEqual(['s', 'c']);
    expect(flowIds(index, facts('this is hiking'))).toEqual([]);
  });

  it('respects a case-sensitive keyword', () => {
    const index = compileTriggerIndex([
      publish('f', node('t', 'message_received', { match: { kind: 'keyword', keywords: ['SKU'], caseInsensitive: false } })),
    ]);
    expect(flowIds(index, facts('SKU'))).toEqual(['f']);
    expect(flowIds(index, facts('sku'))).toEqual([]);
  });

  it('does not match keyword or regex triggers on a message without text', () => {
    const index = compileTriggerIndex([publish('kw', keywordTrigger('t', ['hi'])), publish('any', node('t', 'message_received'))]);
    expect(flowIds(index, facts(undefined))).toEqual(['any']);
  });
});

describe('when a trigger has a regex', () => {
  it('applies the case-insensitive option', () => {
    const insensitive = compileTriggerIndex([
      publish('f', node('t', 'message_received', { match: { kind: 'regex', pattern: '^order #?\\d+$' } })),
    ]);
    expect(flowIds(insensitive, facts('ORDER #1234'))).toEqual(['f']);
    const sensitive = compileTriggerIndex([
      publish('f', node('t', 'message_received', { match: { kind: 'regex', pattern: '^order', caseInsensitive: false } })),
    ]);
    expect(flowIds(sensitive, facts('ORDER 1'))).toEqual([]);
  });

  it('leaves out a pattern published before RE2 that RE2 cannot compile, and says why', () => {
    const older = publish('f', node('t', 'message_received', { match: { kind: 'regex', pattern: 'x' } }));
    const trigger = older.flow.nodes[0];
    if (trigger?.type !== 'message_received') throw new Error('fixture');
    trigger.config.match = { kind: 'regex', pattern: 'price(?= now)', caseInsensitive: true };
    const index = compileTriggerIndex([older, publish('g', keywordTrigger('t', ['price']))]);
    expect(index.triggers.map((t) => t.flowId)).toEqual(['g']);
    expect(index.skipped).toEqual([{ flowId: 'f', nodeId: 't', cause: 'refused', reason: expect.stringContaining('look-ahead') }]);
  });

  it('runs a pattern that backtracked polynomially on a 4,096-character message in milliseconds', () => {
    const index = compileTriggerIndex([publish('f', node('t', 'message_received', { match: { kind: 'regex', pattern: 'a*a*a*a*a*b' } }))]);
    // Generous: the backtracking engine took minutes on this message.
    expect(
      cpuMsOf(() => {
        expect(flowIds(index, facts('a'.repeat(4_096)))).toEqual([]);
      }),
    ).toBeLessThan(100);
  });
});

describe('when a workspace publishes more regex triggers than one message may cost', () => {
  // Regression: every regex trigger was tried on each message with no bound on how many; 200
  // copies of this pattern held the event loop for 27 s on one 4,096-character message.
  const costly = 'a.{290}$';
  const compiled = compileUserPattern(costly, true);
  if (!compiled.ok) throw new Error('fixture');
  const fitting = Math.floor(MAX_WORKSPACE_PATTERN_PROGRAM_SIZE / compiled.pattern.programSize);

  it('keeps the ones published first within the budget, leaves out the later ones and says why, and keeps keyword triggers', () => {
    const flows = Array.from({ length: fitting + 2 }, (_, i) =>
      publish(`r${i}`, node('t', 'message_received', { match: { kind: 'regex', pattern: costly } })),
    );
    const index = compileTriggerIndex([...flows.reverse(), publish('k', keywordTrigger('t', ['hello']))]);
    expect(index.triggers.map((t) => t.flowId)).toEqual(['k', ...Array.from({ length: fitting }, (_, i) => `r${i}`)]);
    expect(index.skipped).toEqual(
      [fitting, fitting + 1].map((i) => ({
        flowId: `r${i}`,
        nodeId: 't',
        cause: 'over_budget',
        reason: expect.stringContaining('too big to check on every message'),
      })),
    );
  });

  it("tells a publication which triggers it would push out: its own, or an active flow's, never one left out already", () => {
    const active = Array.from({ length: fitting }, (_, i) =>
      publish(`r${i}`, node('t', 'message_received', { match: { kind: 'regex', pattern: costly } })),
    );
    const candidate = publish('new', node('t', 'message_received', { match: { kind: 'regex', pattern: costly } }));
    expect(triggersPushedOut(active, candidate)).toEqual([expect.objectContaining({ flowId: 'new', nodeId: 't', cause: 'over_budget' })]);
    // "contains" keywords rank before every regex and cost a step each: enough of them push the last regex out.
    const spare = MAX_WORKSPACE_PATTERN_PROGRAM_SIZE - fitting * compiled.pattern.programSize;
    const words = Array.from({ length: spare + 1 }, (_, i) => `word${i}`);
    const containsTriggers = Array.from({ length: Math.ceil(words.length / 50) }, (_, i) =>
      keywordTrigger(`t${i}`, words.slice(i * 50, i * 50 + 50), 'contains'),
    );
    const containsFlow = validateFlow(
      doc(
        [...containsTriggers, node('e', 'end')],
        containsTriggers.map((t) => edge(t.id, 'out', 'e')),
      ),
    );
    if (!containsFlow.ok) throw new Error(JSON.stringify(containsFlow.problems));
    const contains: PublishedFlow = {
      flowId: 'kw',
      versionId: 'kw-v1',
      publishedAt: new Date(Date.UTC(2026, 0, 1)),
      flow: containsFlow.flow,
    };
    expect(triggersPushedOut(active, contains).map((t) => t.flowId)).toEqual([`r${fitting - 1}`]);
    // The candidate, left out already, is not reported again.
    expect(triggersPushedOut([...active, candidate], contains).map((t) => t.flowId)).toEqual([`r${fitting - 1}`]);
    expect(triggersPushedOut(active.slice(1), candidate)).toEqual([]);
  });
});

describe('when a message is long and made to be slow', () => {
  // Regression: exact keywords stripped closing punctuation with /[…]+$/, which retried from every
  // dot of a run that does not end the text: 2.5 s per keyword on this message.
  it('matches exact keywords on 65,535 dots and a letter in milliseconds', () => {
    const index = compileTriggerIndex([publish('f', keywordTrigger('t', ['hi', 'price', 'order']))]);
    expect(
      cpuMsOf(() => {
        expect(flowIds(index, facts(`${'.'.repeat(65_535)}x`))).toEqual([]);
      }),
    ).toBeLessThan(100);
    expect(flowIds(index, facts('Price?!'))).toEqual(['f']);
  });

  it('looks for contains keywords in the first 4,096 characters only', () => {
    const index = compileTriggerIndex([publish('f', keywordTrigger('t', ['price'], 'contains'))]);
    expect(flowIds(index, facts(`${'x'.repeat(4_090)} price`))).toEqual(['f']);
    expect(flowIds(index, facts(`${'x'.repeat(4_100)} price`))).toEqual([]);
  });

  // Regression: every contains keyword of every trigger was searched for in the whole text; 1,000
  // triggers of 50 keywords that occur everywhere but never as a word held a message for minutes.
  it('counts contains keywords against the workspace budget, and leaves out the triggers published last', () => {
    const keywords = Array.from({ length: 50 }, (_, i) => 'a'.repeat(i + 1));
    const flows = Array.from({ length: 25 }, (_, i) => publish(`c${i}`, keywordTrigger('t', keywords, 'contains')));
    const index = compileTriggerIndex(flows);
    const fitting = MAX_WORKSPACE_PATTERN_PROGRAM_SIZE / keywords.length;
    expect(index.triggers.map((t) => t.flowId)).toEqual(flows.slice(0, fitting).map((f) => f.flowId));
    expect(index.skipped.map((s) => s.flowId)).toEqual(flows.slice(fitting).map((f) => f.flowId));
    expect(
      cpuMsOf(() => {
        expect(flowIds(index, facts('a'.repeat(65_536)))).toEqual([]);
      }),
    ).toBeLessThan(1_000);
  });
});

describe('when a trigger has conditions beyond the text', () => {
  it('listens only on its channels', () => {
    const index = compileTriggerIndex([publish('f', node('t', 'message_received', { channels: [OTHER_CHANNEL] }))]);
    expect(flowIds(index, facts('hi'))).toEqual([]);
    expect(flowIds(index, facts('hi', { message: { channelId: OTHER_CHANNEL, type: 'text', text: 'hi' } }))).toEqual(['f']);
  });

  it('starts on the first message of a conversation only when asked to', () => {
    const index = compileTriggerIndex([publish('f', node('t', 'message_received', { firstMessageOnly: true }))]);
    expect(flowIds(index, facts('hi'))).toEqual([]);
    expect(flowIds(index, facts('hi', { conversation: { isFirstMessage: true } }))).toEqual(['f']);
  });

  it('evaluates json-logic over message, contact and conversation', () => {
    const index = compileTriggerIndex([
      publish('pro', keywordTrigger('t', ['hi'])),
      publish('f', node('t', 'message_received', { condition: { '==': [{ var: 'contact.attributes.plan' }, 'free'] } })),
    ]);
    expect(flowIds(index, facts('hi'))).toEqual(['pro']);
    expect(flowIds(index, facts('hi', { contact: { attributes: { plan: 'free' } } }))).toEqual(['pro', 'f']);
  });

  it('treats a condition that throws on this data as no match', () => {
    const index = compileTriggerIndex([publish('f', node('t', 'message_received', { condition: { cat: [{ var: 'contact' }] } }))]);
    expect(flowIds(index, facts('hi'))).toEqual([]);
  });
});

describe('when the message is a global keyword', () => {
  const index = compileTriggerIndex([
    publish('stop-flow', keywordTrigger('t', ['stop'])),
    publish('start-flow', keywordTrigger('t', ['start'])),
  ]);

  it('recognises STOP as an opt-out before any flow, and starts none', () => {
    expect(matchTriggers(index, facts('Stop.'))).toEqual({ globalKeyword: { action: 'opt_out', keyword: 'STOP' }, matches: [] });
    expect(matchTriggers(index, facts('unsubscribe')).globalKeyword?.action).toBe('opt_out');
  });

  it('does not treat a sentence that contains the word as a keyword', () => {
    expect(matchTriggers(index, facts("don't stop me now")).globalKeyword).toBeNull();
  });

  it('recognises START as an opt-in and still lets flows match', () => {
    expect(matchTriggers(index, facts('start'))).toEqual({
      globalKeyword: { action: 'opt_in', keyword: 'START' },
      matches: [expect.objectContaining({ flowId: 'start-flow' })],
    });
  });

  it('uses the configured list instead of the default one', () => {
    const custom = compileTriggerIndex([], { optOut: ['BASTA', 'arrêt'], optIn: [] });
    expect(matchTriggers(custom, facts('Arrêt!')).globalKeyword).toEqual({ action: 'opt_out', keyword: 'arrêt' });
    expect(matchTriggers(custom, facts('stop')).globalKeyword).toBeNull();
    expect(matchTriggers(custom, facts('start')).globalKeyword).toBeNull();
  });
});
