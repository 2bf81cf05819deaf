import { describe, expect, it } from 'vitest';
import { validateAnswer } from './answer-validation.ts';
import type { AnswerValidation } from './nodes/ask-question.node.ts';

describe('when the question expects text', () => {
  const rule = { kind: 'text', minLength: 2, maxLength: 10 } as const;

  it('accepts and trims text within the length', () => {
    expect(validateAnswer(rule, '  Ada  ')).toEqual({ ok: true, value: 'Ada' });
  });

  it('refuses empty, too short and too long answers', () => {
    expect(validateAnswer(rule, '   ')).toEqual({ ok: false, reason: 'empty' });
    expect(validateAnswer(rule, 'A')).toEqual({ ok: false, reason: 'too_short' });
    expect(validateAnswer(rule, 'Adaline Lovelace')).toEqual({ ok: false, reason: 'too_long' });
  });
});

describe('when the question expects a number', () => {
  it('accepts decimal points, decimal commas, signs and thousands separators', () => {
    const rule = { kind: 'number', integer: false } as const;
    expect(validateAnswer(rule, '42')).toEqual({ ok: true, value: 42 });
    expect(validateAnswer(rule, '3,5')).toEqual({ ok: true, value: 3.5 });
    expect(validateAnswer(rule, '-1.25')).toEqual({ ok: true, value: -1.25 });
    expect(validateAnswer(rule, '1 200')).toEqual({ ok: true, value: 1200 });
    expect(validateAnswer(rule, '1,234.5')).toEqual({ ok: true, value: 1234.5 });
  });

  it('refuses words, integers with decimals when integers are asked, and values out of range', () => {
    expect(validateAnswer({ kind: 'number', integer: false }, 'twelve')).toEqual({ ok: false, reason: 'not_a_number' });
    expect(validateAnswer({ kind: 'number', integer: false }, '1e9')).toEqual({ ok: false, reason: 'not_a_number' });
    expect(validateAnswer({ kind: 'number', integer: true }, '2.5')).toEqual({ ok: false, reason: 'not_an_integer' });
    expect(validateAnswer({ kind: 'number', integer: true, min: 1, max: 5 }, '0')).toEqual({ ok: false, reason: 'too_small' });
    expect(validateAnswer({ kind: 'number', integer: true, min: 1, max: 5 }, '6')).toEqual({ ok: false, reason: 'too_large' });
  });
});

describe('when the question expects an email', () => {
  it('accepts an address and lower-cases it', () => {
    expect(validateAnswer({ kind: 'email' }, ' Ada@Example.COM ')).toEqual({ ok: true, value: 'ada@example.com' });
  });

  it('refuses text that is not an address', () => {
    for (const answer of ['ada', 'ada@example', 'ada @example.com', 'a@b@c.com', '@example.com']) {
      expect(validateAnswer({ kind: 'email' }, answer), answer).toEqual({ ok: false, reason: 'not_an_email' });
    }
  });
});

describe('when the question expects a phone number', () => {
  it('returns the E.164 form', () => {
    expect(validateAnswer({ kind: 'phone' }, '+1 (555) 123-4567')).toEqual({ ok: true, value: '+15551234567' });
    expect(validateAnswer({ kind: 'phone' }, '0044 20 7946 0958')).toEqual({ ok: true, value: '+442079460958' });
  });

  it('refuses a national number without a country code', () => {
    expect(validateAnswer({ kind: 'phone' }, '555 123 4567')).toEqual({ ok: false, reason: 'not_a_phone' });
  });
});

describe('when the question offers choices', () => {
  const rule: AnswerValidation = { kind: 'choice', choices: ['Sales', 'Support', 'Billing'] };

  it('accepts a choice by its number from 1', () => {
    expect(validateAnswer(rule, '2')).toEqual({ ok: true, value: 'Support' });
    expect(validateAnswer(rule, '3.')).toEqual({ ok: true, value: 'Billing' });
  });

  it('accepts a choice by its label in any case', () => {
    expect(validateAnswer(rule, 'sUpPoRt')).toEqual({ ok: true, value: 'Support' });
  });

  it('refuses a number outside the list and an unknown label', () => {
    expect(validateAnswer(rule, '0')).toEqual({ ok: false, reason: 'not_a_choice' });
    expect(validateAnswer(rule, '4')).toEqual({ ok: false, reason: 'not_a_choice' });
    expect(validateAnswer(rule, 'marketing')).toEqual({ ok: false, reason: 'not_a_choice' });
  });
});
