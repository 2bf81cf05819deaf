import { toE164 } from '../contacts/phone.ts';
import type { AnswerValidation } from './nodes/ask-question.node.ts';

/** Why an answer was refused; the runtime may word its re-ask after it. */
export type AnswerRefusal =
  | 'empty'
  | 'too_short'
  | 'too_long'
  | 'not_a_number'
  | 'not_an_integer'
  | 'too_small'
  | 'too_large'
  | 'not_an_email'
  | 'not_a_phone'
  | 'not_a_choice';

export type AnswerCheck = { ok: true; value: string | number } | { ok: false; reason: AnswerRefusal };

// Deliberately loose: one "@", a dot in the domain, no spaces. Deliverability is not decidable here.
const EMAIL = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/u;
const MAX_EMAIL_CHARS = 254;
// "1 234,5" and "1,234.5" are both written by people; digits with an optional sign and one decimal part.
const NUMBER = /^[-+]?\d+([.,]\d+)?$/;

function checkNumber(answer: string, rule: Extract<AnswerValidation, { kind: 'number' }>): AnswerCheck {
  let compact = answer.replace(/[\s\u00a0']/g, '');
  // "1,234.5": commas before a dot group thousands; a lone comma is a decimal comma.
  if (compact.includes('.') && compact.includes(',')) compact = compact.replace(/,/g, '');
  if (!NUMBER.test(compact)) return { ok: false, reason: 'not_a_number' };
  const value = Number(compact.replace(',', '.'));
  if (!Number.isFinite(value)) return { ok: false, reason: 'not_a_number' };
  if (rule.integer && !Number.isInteger(value)) return { ok: false, reason: 'not_an_integer' };
  if (rule.min !== undefined && value < rule.min) return { ok: false, reason: 'too_small' };
  if (rule.max !== undefined && value > rule.max) return { ok: false, reason: 'too_large' };
  return { ok: true, value };
}

function checkChoice(answer: string, choices: readonly string[]): AnswerCheck {
  const folded = answer.toLowerCase().replace(/[.)]$/, '');
  if (/^\d{1,2}$/.test(folded)) {
    const choice = choices[Number(folded) - 1];
    if (choice !== undefined) return { ok: true, value: choice };
  }
  const byLabel = choices.find((c) => c.trim().toLowerCase() === answer.toLowerCase());
  return byLabel === undefined ? { ok: false, reason: 'not_a_choice' } : { ok: true, value: byLabel };
}

/**
 * Checks a reply to an ask-question node and returns the value to store: the trimmed text, a
 * number, a lower-cased email, an E.164 phone, or the chosen label (answered by its label in
 * any case, or by its number from 1).
 */
export function validateAnswer(rule: AnswerValidation, rawAnswer: string): AnswerCheck {
  const answer = rawAnswer.normalize('NFC').trim();
  if (answer === '') return { ok: false, reason: 'empty' };
  switch (rule.kind) {
    case 'text':
      if (answer.length < rule.minLength) return { ok: false, reason: 'too_short' };
      if (answer.length > rule.maxLength) return { ok: false, reason: 'too_long' };
      return { ok: true, value: answer };
    case 'number':
      return checkNumber(answer, rule);
    case 'email':
      return answer.length <= MAX_EMAIL_CHARS && EMAIL.test(answer)
        ? { ok: true, value: answer.toLowerCase() }
        : { ok: false, reason: 'not_an_email' };
    case 'phone': {
      const phone = toE164(answer);
      return phone === null ? { ok: false, reason: 'not_a_phone' } : { ok: true, value: phone };
    }
    case 'choice':
      return checkChoice(answer, rule.choices);
  }
}
