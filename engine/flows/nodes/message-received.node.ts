import { z } from 'zod';
import { JsonLogicRuleSchema } from '../json-logic.ts';
import { defineNode, NEXT_PORT, type NodeExpressions } from '../node-definition.ts';

/** Longest pattern the schema stores; validation reports `regex_too_long` well before this. */
const MAX_STORED_PATTERN_CHARS = 2_000;

export const KEYWORD_MODES = ['exact', 'starts_with', 'contains'] as const;
export type KeywordMode = (typeof KEYWORD_MODES)[number];

/** How the text of a message is matched: any message, keywords, or a regex. */
export const MessageMatchSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('any') }),
  z.strictObject({
    kind: z.literal('keyword'),
    mode: z.enum(KEYWORD_MODES).default('exact'),
    keywords: z.array(z.string().trim().min(1).max(100)).min(1).max(50),
    caseInsensitive: z.boolean().default(true),
  }),
  z.strictObject({
    kind: z.literal('regex'),
    pattern: z.string().min(1).max(MAX_STORED_PATTERN_CHARS),
    caseInsensitive: z.boolean().default(true),
  }),
]);
export type MessageMatch = z.output<typeof MessageMatchSchema>;

export const MessageReceivedConfigSchema = z.strictObject({
  /** `"all"` or the ids of the channels this trigger listens on. */
  channels: z.union([z.literal('all'), z.array(z.uuid()).min(1).max(50)]).default('all'),
  match: MessageMatchSchema.default({ kind: 'any' }),
  /** Optional json-logic over `{ message, contact, conversation }`; all must hold. */
  condition: JsonLogicRuleSchema.optional(),
  /** Only the first inbound message of a conversation starts this flow. */
  firstMessageOnly: z.boolean().default(false),
});
export type MessageReceivedConfig = z.output<typeof MessageReceivedConfigSchema>;

export const messageReceivedNode = defineNode({
  type: 'message_received',
  category: 'trigger',
  label: 'Message received',
  description: 'Starts the flow when a message arrives that matches keywords, a pattern or a condition.',
  configSchema: MessageReceivedConfigSchema,
  defaultConfig: {
    channels: 'all',
    match: { kind: 'keyword', mode: 'exact', keywords: ['hi'], caseInsensitive: true },
    firstMessageOnly: false,
  },
  waits: false,
  outputs: () => [NEXT_PORT],
  expressions(config): NodeExpressions {
    return {
      jsonLogic: config.condition === undefined ? [] : [{ path: ['condition'], rule: config.condition }],
      regexes:
        config.match.kind === 'regex'
          ? [{ path: ['match', 'pattern'], pattern: config.match.pattern, caseInsensitive: config.match.caseInsensitive }]
          : [],
    };
  },
});
