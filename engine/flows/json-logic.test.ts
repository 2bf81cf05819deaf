import { describe, expect, it } from 'vitest';
import { JsonLogicEvaluationError } from './json-logic-evaluation.error.ts';
import { compileCondition, evaluateCondition, toJsonLogicData, validateJsonLogic } from './json-logic.ts';
import { UnsafeJsonLogicError } from './unsafe-json-logic.error.ts';
import { cpuMsOf } from '../../test/support/cpu-time.ts';

const data = { contact: { name: 'Ada', tags: ['vip', 'lead'], attributes: { plan: 'pro', age: 36 } }, message: { text: 'PRICE please' } };

describe('when a rule uses allowed operators', () => {
  it('evaluates comparisons, logic, arithmetic and strings', () => {
    expect(evaluateCondition({ '==': [{ var: 'contact.attributes.plan' }, 'pro'] }, data)).toBe(true);
    expect(evaluateCondition({ and: [{ '>': [{ '+': [{ var: 'contact.attributes.age' }, 4] }, 39] }, { '!': false }] }, data)).toBe(true);
    expect(evaluateCondition({ '==': [{ substr: [{ var: 'message.text' }, 0, 5] }, 'PRICE'] }, data)).toBe(true);
    expect(evaluateCondition({ '==': [{ cat: ['a', 'b'] }, 'ab'] }, data)).toBe(true);
  });

  it('evaluates in, some and missing over the data', () => {
    expect(evaluateCondition({ in: ['vip', { var: 'contact.tags' }] }, data)).toBe(true);
    expect(evaluateCondition({ some: [{ var: 'contact.tags' }, { '==': [{ var: '' }, 'lead'] }] }, data)).toBe(true);
    expect(evaluateCondition({ missing: ['contact.email'] }, data)).toBe(true);
  });

  it('treats an empty list as false, as json-logic does', () => {
    expect(evaluateCondition({ var: 'contact.none' }, { contact: { none: [] } })).toBe(false);
  });
});

describe('when a rule uses an operator outside the allow-list', () => {
  it('reports log, method and unknown operators with their paths', () => {
    expect(validateJsonLogic({ or: [{ log: 1 }, { method: [{ var: 'x' }, 'toString'] }] })).toEqual([
      expect.objectContaining({ code: 'jsonlogic_operator_not_allowed', path: ['or', 0, 'log'] }),
      expect.objectContaining({ code: 'jsonlogic_operator_not_allowed', path: ['or', 1, 'method'] }),
    ]);
  });

  it('reports a dotted operator that json-logic-js would resolve through its operations table', () => {
    expect(validateJsonLogic({ 'hasOwnProperty.call': [1] })[0]?.code).toBe('jsonlogic_operator_not_allowed');
  });

  it('refuses to evaluate it and throws UnsafeJsonLogicError', () => {
    expect(() => evaluateCondition({ log: 'x' }, {})).toThrow(UnsafeJsonLogicError);
    expect(() => evaluateCondition({ log: 'x' }, {})).toThrow('the json-logic rule was refused: the operator "log" is not allowed');
  });
});

describe('when a rule reaches for a prototype', () => {
  it('reports var paths through __proto__, constructor and prototype', () => {
    for (const path of ['__proto__', 'contact.constructor', 'a.prototype.b']) {
      expect(validateJsonLogic({ var: path })).toEqual([expect.objectContaining({ code: 'jsonlogic_forbidden_path', path: ['var'] })]);
    }
  });

  it('reports a var path computed by another operator, which could be assembled at run time', () => {
    expect(validateJsonLogic({ var: [{ cat: ['__pro', 'to__'] }] })).toEqual([
      expect.objectContaining({ code: 'jsonlogic_forbidden_path', path: ['var', 0] }),
    ]);
  });

  it('reports forbidden keys of missing and missing_some', () => {
    expect(validateJsonLogic({ missing: ['a', 'constructor'] })).toEqual([
      expect.objectContaining({ code: 'jsonlogic_forbidden_path', path: ['missing', 1] }),
    ]);
    expect(validateJsonLogic({ missing_some: [1, ['prototype']] })).toEqual([
      expect.objectContaining({ code: 'jsonlogic_forbidden_path', path: ['missing_some', 1, 0] }),
    ]);
  });

  it('cannot read inherited names such as toString from the data', () => {
    expect(evaluateCondition({ '!!': { var: 'contact.toString' } }, data)).toBe(false);
    expect(evaluateCondition({ '!!': { var: 'contact.hasOwnProperty' } }, data)).toBe(false);
  });

  it('drops own keys named __proto__ from the data', () => {
    const hostile = JSON.parse('{"contact":{"__proto__":{"admin":true}}}') as unknown;
    const copy = toJsonLogicData(hostile) as { contact: Record<string, unknown> };
    expect(Object.keys(copy.contact)).toEqual([]);
    expect(Object.getPrototypeOf(copy.contact)).toBeNull();
  });
});

describe('when a rule is malformed or too large', () => {
  it('reports an object with more than one key', () => {
    expect(validateJsonLogic({ '==': [1, 1], '!=': [1, 2] })[0]?.code).toBe('jsonlogic_invalid');
  });

  it('reports nesting deeper than the limit', () => {
    let rule: unknown = true;
    for (let i = 0; i < 40; i += 1) rule = { '!': [rule] };
    expect(validateJsonLogic(rule).map((p) => p.code)).toContain('jsonlogic_invalid');
  });
});

describe('when a validated rule throws on the data', () => {
  it('raises JsonLogicEvaluationError with the cause', () => {
    const error = (() => {
      try {
        evaluateCondition({ cat: [{ var: 'contact' }] }, data);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(JsonLogicEvaluationError);
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });
});

describe('when a rule is compiled once', () => {
  it('keeps its own copy, so later mutation of the rule changes nothing', () => {
    const rule: Record<string, unknown> = { '==': [1, 1] };
    const compiled = compileCondition(rule);
    delete rule['=='];
    rule.log = 'x';
    expect(compiled.test(toJsonLogicData({}))).toBe(true);
  });
});

// Regression: a rule's size did not bound its work. Validation accepted both rules below, and
// evaluating them held the process for seconds (n = 24), hours or the whole memory (n = 40):
// triggers evaluate conditions on every message, segments on every contact.
describe('when a rule does far more work than its size', () => {
  const prepared = toJsonLogicData({ contact: { tags: ['vip'] } });
  const list = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('stops a reduce that doubles its accumulator, in milliseconds, as a rule that cannot be evaluated', () => {
    const doubling = { '>': [{ reduce: [list(24), { merge: [{ var: 'accumulator' }, { var: 'accumulator' }] }, [0]] }, 1] };
    expect(validateJsonLogic(doubling)).toEqual([]);
    expect(
      cpuMsOf(() => {
        expect(() => compileCondition(doubling).test(prepared)).toThrow(JsonLogicEvaluationError);
        expect(() => compileCondition(doubling).test(prepared)).toThrow(/too much work/);
      }),
    ).toBeLessThan(500);
  });

  it('stops iterations nested over literal lists past the step budget', () => {
    let nested: unknown = { '==': [1, 2] };
    for (let depth = 0; depth < 5; depth++) nested = { some: [list(20), nested] };
    expect(validateJsonLogic(nested)).toEqual([]);
    expect(
      cpuMsOf(() => {
        expect(() => compileCondition(nested).test(prepared)).toThrow(/more than 100000 steps/);
      }),
    ).toBeLessThan(1_000);
  });

  it('still evaluates a rule that iterates over the data', () => {
    expect(compileCondition({ some: [{ var: 'contact.tags' }, { '==': [{ var: '' }, 'vip'] }] }).test(prepared)).toBe(true);
  });
});
