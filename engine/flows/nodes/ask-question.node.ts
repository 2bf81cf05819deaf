import { z } from 'zod';
import { DurationSchema } from '../duration.ts';
import { IdentifierSchema } from '../flow-identifiers.ts';
import { defineNode, type OutputPort } from '../node-definition.ts';
import { MAX_SEND_TEXT_CHARS } from './send-message.node.ts';

/** How an answer is checked; see answer-validation.ts for the rules of each kind. */
export const AnswerValidationSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('text'),
    minLength: z.number().int().min(0).max(4_096).default(1),
    maxLength: z.number().int().min(1).max(4_096).default(1_000),
  }),
  z.strictObject({
    kind: z.literal('number'),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    integer: z.boolean().default(false),
  }),
  z.strictObject({ kind: z.literal('email') }),
  z.strictObject({ kind: z.literal('phone') }),
  z.strictObject({
    kind: z.literal('choice'),
    /** Answered by label (any case) or by its number in the list, from 1. */
    choices: z.array(z.string().trim().min(1).max(100)).min(2).max(20),
  }),
]);
export type AnswerValidation = z.output<typeof AnswerValidationSchema>;

/** Where a valid answer is stored. */
export const AnswerTargetSchema = z.discriminatedUnion('target', [
  z.strictObject({ target: z.literal('contact_attribute'), key: IdentifierSchema }),
  z.strictObject({ target: z.literal('variable'), name: IdentifierSchema }),
]);
export type AnswerTarget = z.output<typeof AnswerTargetSchema>;

/** Most times the question is asked again after an invalid answer. */
export const MAX_ASK_RETRIES = 5;

export const AskQuestionConfigSchema = z.strictObject({
  prompt: z.string().trim().min(1).max(MAX_SEND_TEXT_CHARS),
  validation: AnswerValidationSchema.default({ kind: 'text', minLength: 1, maxLength: 1_000 }),
  /** Re-asks after an invalid answer this many times, then takes the `invalid` port. */
  retries: z.number().int().min(0).max(MAX_ASK_RETRIES).default(2),
  /** Sent instead of `prompt` when re-asking; `prompt` again when absent. */
  retryPrompt: z.string().trim().min(1).max(MAX_SEND_TEXT_CHARS).optional(),
  storeAs: AnswerTargetSchema,
  /** Without a timeout the question waits as long as the run may live. */
  timeout: DurationSchema.optional(),
});
export type AskQuestionConfig = z.output<typeof AskQuestionConfigSchema>;

const ANSWERED: OutputPort = { id: 'answered', label: 'Answered' };
const INVALID: OutputPort = { id: 'invalid', label: 'Invalid' };
const TIMEOUT: OutputPort = { id: 'timeout', label: 'Timeout' };

export const askQuestionNode = defineNode({
  type: 'ask_question',
  category: 'action',
  label: 'Ask question',
  description: 'Asks a question, waits for the answer, checks it, re-asks when invalid, and stores it.',
  configSchema: AskQuestionConfigSchema,
  defaultConfig: {
    prompt: 'What is your email?',
    validation: { kind: 'email' },
    retries: 2,
    storeAs: { target: 'contact_attribute', key: 'email' },
  },
  waits: true,
  outputs: (config) => (config.timeout === undefined ? [ANSWERED, INVALID] : [ANSWERED, INVALID, TIMEOUT]),
  expressions: (config) => ({
    templates: [
      { path: ['prompt'], source: config.prompt },
      ...(config.retryPrompt === undefined ? [] : [{ path: ['retryPrompt'], source: config.retryPrompt }]),
    ],
  }),
});
