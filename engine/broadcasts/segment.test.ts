import { describe, expect, it } from 'vitest';
import { evaluateCondition } from '../flows/json-logic.ts';
import { compileSegment, segmentFacts, validateSegmentRule, type SegmentFactsContact } from './segment.ts';
import { SegmentInvalidError } from './segment-invalid.error.ts';

const ada: SegmentFactsContact = {
  id: '01900000-0000-7000-8000-000000000001',
  name: 'Ada',
  phone: '+15550000001',
  attributes: { plan: 'pro', age: 36, city: 'Paris' },
  tags: ['vip', 'lead'],
  createdAt: new Date('2025-03-01T10:00:00.000Z'),
  lastSeenAt: null,
  daysSinceLastMessage: null,
  optIn: 'unknown',
  channels: [],
};

const codes = (rule: unknown) => validateSegmentRule(rule).map((p) => p.code);

describe('when a segment rule reads the opt-in state, the last message and the channel', () => {
  const bea: SegmentFactsContact = {
    ...ada,
    lastSeenAt: new Date('2026-11-01T00:00:00Z'),
    daysSinceLastMessage: 40,
    optIn: 'opted_in',
    channels: ['ch-whatsapp', 'ch-sandbox'],
  };

  it('selects contacts who opted in, and not those who never said', () => {
    const rule = { '==': [{ var: 'contact.optIn' }, 'opted_in'] };
    expect(compileSegment(rule).matches(bea)).toBe(true);
    expect(compileSegment(rule).matches(ada)).toBe(false);
  });

  it('selects contacts whose last message is older than a number of days, counting those who never wrote as the oldest', () => {
    const rule = { '>': [{ var: 'contact.daysSinceLastMessage' }, 30] };
    expect(compileSegment(rule).matches(bea)).toBe(true);
    expect(compileSegment(rule).matches({ ...bea, daysSinceLastMessage: 3 })).toBe(false);
    expect(compileSegment(rule).matches(ada)).toBe(true);
    expect(compileSegment({ '<=': [{ var: 'contact.daysSinceLastMessage' }, 7] }).matches(ada)).toBe(false);
  });

  it('selects contacts known on a channel', () => {
    const rule = { in: ['ch-whatsapp', { var: 'contact.channels' }] };
    expect(compileSegment(rule).matches(bea)).toBe(true);
    expect(compileSegment(rule).matches(ada)).toBe(false);
  });

  it('tells the scan which of these it must compute', () => {
    expect([...compileSegment({ in: ['ch-whatsapp', { var: 'contact.channels' }] }).fieldsRead]).toEqual(['channels']);
    expect(compileSegment({ in: ['vip', { var: 'contact.tags' }] }).fieldsRead.has('optIn')).toBe(false);
  });
});

describe('when a segment rule reads the contact', () => {
  it('matches on tags, attributes, name and phone', () => {
    expect(compileSegment({ in: ['vip', { var: 'contact.tags' }] }).matches(ada)).toBe(true);
    expect(compileSegment({ in: ['churned', { var: 'contact.tags' }] }).matches(ada)).toBe(false);
    expect(
      compileSegment({
        and: [{ '==': [{ var: 'contact.attributes.plan' }, 'pro'] }, { '>=': [{ var: 'contact.attributes.age' }, 30] }],
      }).matches(ada),
    ).toBe(true);
    expect(compileSegment({ '==': [{ var: 'contact.name' }, 'Ada'] }).matches(ada)).toBe(true);
    expect(compileSegment({ '==': [{ substr: [{ var: 'contact.phone' }, 0, 5] }, '+1555'] }).matches(ada)).toBe(true);
  });

  it('compares createdAt and lastSeenAt as ISO strings in time order', () => {
    expect(compileSegment({ '<': [{ var: 'contact.createdAt' }, '2025-06-01'] }).matches(ada)).toBe(true);
    expect(compileSegment({ '>': [{ var: 'contact.createdAt' }, '2025-03-01T10:00:00.001Z'] }).matches(ada)).toBe(false);
    expect(compileSegment({ '==': [{ var: 'contact.lastSeenAt' }, null] }).matches(ada)).toBe(true);
  });

  it('lets a per-item rule of some/all/filter read the item rather than the contact', () => {
    const rule = { some: [{ var: 'contact.tags' }, { '==': [{ var: '' }, 'lead'] }] };
    expect(validateSegmentRule(rule)).toEqual([]);
    expect(compileSegment(rule).matches(ada)).toBe(true);
    expect(validateSegmentRule({ reduce: [{ var: 'contact.tags' }, { '+': [{ var: 'accumulator' }, 1] }, 0] })).toEqual([]);
  });

  it('matches everyone with true and no one with false', () => {
    expect(compileSegment(true).matches(ada)).toBe(true);
    expect(compileSegment(false).matches(ada)).toBe(false);
  });
});

describe('when segmentFacts builds the data a rule sees', () => {
  it('holds the contact fields, dates as ISO strings, and no prototype', () => {
    const facts = segmentFacts({
      ...ada,
      lastSeenAt: new Date('2025-04-02T08:30:00.000Z'),
      daysSinceLastMessage: 12,
      optIn: 'opted_in',
      channels: ['ch-1'],
    }) as { contact: Record<string, unknown> };
    expect({ ...facts.contact, attributes: { ...(facts.contact.attributes as object) } }).toEqual({
      id: ada.id,
      name: 'Ada',
      phone: '+15550000001',
      attributes: { plan: 'pro', age: 36, city: 'Paris' },
      tags: ['vip', 'lead'],
      createdAt: '2025-03-01T10:00:00.000Z',
      lastSeenAt: '2025-04-02T08:30:00.000Z',
      daysSinceLastMessage: 12,
      optIn: 'opted_in',
      channels: ['ch-1'],
    });
    expect(Object.getPrototypeOf(facts.contact)).toBeNull();
  });

  it('drops an attribute named __proto__ so that no rule can reach it', () => {
    const attributes = JSON.parse('{"__proto__": {"x": 1}, "plan": "pro"}') as Record<string, unknown>;
    const facts = segmentFacts({ ...ada, attributes }) as { contact: { attributes: Record<string, unknown> } };
    expect(Object.keys(facts.contact.attributes)).toEqual(['plan']);
  });
});

describe('when a segment rule is refused', () => {
  it('reports an operator outside the allow-list with its path', () => {
    expect(validateSegmentRule({ or: [{ log: 1 }, { in: ['vip', { var: 'contact.tags' }] }] })).toEqual([
      expect.objectContaining({ code: 'jsonlogic_operator_not_allowed', path: ['or', 0, 'log'] }),
    ]);
  });

  it('reports a path through __proto__, constructor or prototype', () => {
    expect(codes({ '==': [{ var: 'contact.attributes.__proto__.polluted' }, 1] })).toEqual(['jsonlogic_forbidden_path']);
    expect(codes({ '!!': { var: 'contact.constructor' } })).toContain('jsonlogic_forbidden_path');
  });

  it('reports a variable outside contact, in var and in missing, with its path', () => {
    expect(validateSegmentRule({ and: [{ var: 'message.text' }, { missing: ['conversation.status'] }] })).toEqual([
      expect.objectContaining({ code: 'segment_variable_outside_contact', path: ['and', 0, 'var'] }),
      expect.objectContaining({ code: 'segment_variable_outside_contact', path: ['and', 1, 'missing', 0] }),
    ]);
    expect(codes({ '==': [{ var: 'contacts.name' }, 'x'] })).toEqual(['segment_variable_outside_contact']);
    expect(codes({ missing_some: [1, ['contact.name', 'trigger.x']] })).toEqual(['segment_variable_outside_contact']);
  });

  it('reports a var of the whole data or a numeric index outside an iterating operator', () => {
    expect(codes({ '!!': { var: '' } })).toEqual(['segment_variable_outside_contact']);
    expect(codes({ '!!': { var: 0 } })).toEqual(['segment_variable_outside_contact']);
  });

  it('reports a contact field that does not exist, naming the attributes instead', () => {
    const [problem] = validateSegmentRule({ '==': [{ var: 'contact.plan' }, 'pro'] });
    expect(problem).toMatchObject({ code: 'segment_unknown_contact_field', path: ['==', 0, 'var'] });
    expect(problem?.message).toContain('contact.attributes');
  });

  it('refuses a rule that is not a condition', () => {
    for (const rule of ['vip', 3, null, [{ var: 'contact.name' }]]) expect(codes(rule)).toEqual(['segment_rule_not_condition']);
  });

  it('throws SegmentInvalidError from compileSegment with every problem as details', () => {
    const rule = { and: [{ log: 1 }, { var: 'message.text' }] };
    let thrown: unknown;
    try {
      compileSegment(rule);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SegmentInvalidError);
    const error = thrown as SegmentInvalidError;
    expect(error.code).toBe('validation_failed');
    expect(error.name).toBe('SegmentInvalidError');
    expect(error.message).toBe(
      'the segment rule has 2 problems: the operator "log" is not allowed; a segment reads only the contact: "message.text" is not a "contact." path',
    );
    expect(error.problems.map((p) => p.code)).toEqual(['jsonlogic_operator_not_allowed', 'segment_variable_outside_contact']);
    expect(error.details).toEqual(error.problems);
  });
});

describe('when a valid rule throws on a contact', () => {
  it('raises SegmentInvalidError naming the contact, with the evaluation error as cause', () => {
    const segment = compileSegment({ '==': [{ cat: [{ var: 'contact.attributes' }] }, 'x'] });
    expect(() => segment.matches(ada)).toThrow(SegmentInvalidError);
    expect(() => segment.matches(ada)).toThrow(`the segment rule has 1 problem: the rule could not be evaluated against contact ${ada.id}`);
  });
});

describe('when a rule reads only some contact fields', () => {
  it('gives the same answers as evaluating against every field', () => {
    const rules = [
      { in: ['vip', { var: 'contact.tags' }] },
      { '==': [{ var: 'contact.attributes.plan' }, 'pro'] },
      { '!': { missing: ['contact.name', 'contact.lastSeenAt'] } },
      { '==': [{ var: 'contact' }, null] },
      { some: [{ var: 'contact.tags' }, { '==': [{ var: 'attributes' }, null] }] },
    ];
    const contacts = [ada, { ...ada, tags: [], attributes: {}, name: null, lastSeenAt: new Date('2025-04-01T00:00:00.000Z') }];
    for (const rule of rules) {
      for (const contact of contacts)
        expect(compileSegment(rule).matches(contact), JSON.stringify(rule)).toBe(evaluateCondition(rule, segmentFacts(contact)));
    }
  });
});
