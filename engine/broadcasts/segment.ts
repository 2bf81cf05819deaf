import { JsonLogicEvaluationError } from '../flows/json-logic-evaluation.error.ts';
import {
  compileCondition,
  JSONLOGIC_ALLOWED_OPERATORS,
  MAX_JSONLOGIC_DEPTH,
  MAX_JSONLOGIC_NODES,
  toJsonLogicData,
  validateJsonLogic,
  type JsonLogicProblemCode,
} from '../flows/json-logic.ts';
import { SegmentInvalidError } from './segment-invalid.error.ts';

/*
 * A segment is a json-logic rule over one contact, with the same operator allow-list and path
 * checks as flow conditions. It sees `{ contact: { id, name, phone, attributes, tags, createdAt,
 * lastSeenAt, daysSinceLastMessage, optIn, channels } }` and nothing else: no message, conversation or run state exists when a
 * broadcast picks its audience, so a path outside `contact` could only ever read null.
 */

/** Stable codes of segment problems; clients match on these, never on messages. */
export const SEGMENT_PROBLEM_CODES = [
  'jsonlogic_operator_not_allowed',
  'jsonlogic_forbidden_path',
  'jsonlogic_invalid',
  /** The rule is not a condition: a string, a number, null or a list. */
  'segment_rule_not_condition',
  /** A `var` or `missing` path that does not start with `contact.`. */
  'segment_variable_outside_contact',
  /** `contact.<field>` where the field is none of SEGMENT_CONTACT_FIELDS (a typo would match no one). */
  'segment_unknown_contact_field',
  /** The rule threw against one contact's data (for example `cat` of the whole attributes object). */
  'segment_evaluation_failed',
] as const satisfies readonly (JsonLogicProblemCode | `segment_${string}`)[];
export type SegmentProblemCode = (typeof SEGMENT_PROBLEM_CODES)[number];

/** One thing wrong with a segment rule, located by its path from the rule's root. */
export interface SegmentProblem {
  code: SegmentProblemCode;
  message: string;
  path?: (string | number)[];
}

/** The contact as a segment sees it (the fields flow conditions see, plus its dates). */
export interface SegmentFactsContact {
  id: string;
  name: string | null;
  phone: string | null;
  attributes: Record<string, unknown>;
  tags: string[];
  createdAt: Date;
  lastSeenAt: Date | null;
  /** Whole days since the contact's last message (lastSeenAt) when the scan ran; null when it never wrote (the rule sees Infinity). */
  daysSinceLastMessage: number | null;
  /** `opted_out` while opted out, `opted_in` when it opted in (a keyword, a node, the API) since, `unknown` when it never said. */
  optIn: SegmentOptIn;
  /** The ids of the channels the contact is known on (has written to or been written from). */
  channels: string[];
}

/** A contact's opt-in state as a segment reads it. */
export const SEGMENT_OPT_IN_STATES = ['opted_in', 'opted_out', 'unknown'] as const;
export type SegmentOptIn = (typeof SEGMENT_OPT_IN_STATES)[number];

/**
 * Each field of `contact` a segment may read, and how its value is copied for evaluation
 * (anything below `attributes` is free). Dates are ISO 8601 strings in UTC.
 */
const CONTACT_FACTS = {
  id: (c: SegmentFactsContact) => c.id,
  name: (c: SegmentFactsContact) => c.name,
  phone: (c: SegmentFactsContact) => c.phone,
  attributes: (c: SegmentFactsContact) => toJsonLogicData(c.attributes),
  tags: (c: SegmentFactsContact) => toJsonLogicData(c.tags),
  createdAt: (c: SegmentFactsContact) => c.createdAt.toISOString(),
  lastSeenAt: (c: SegmentFactsContact) => (c.lastSeenAt === null ? null : c.lastSeenAt.toISOString()),
  // A contact who never wrote has waited forever: in "more than N days", never in "at most N days"
  // (json-logic would read a null as 0, and count it among the recently active).
  daysSinceLastMessage: (c: SegmentFactsContact) => c.daysSinceLastMessage ?? Number.POSITIVE_INFINITY,
  optIn: (c: SegmentFactsContact) => c.optIn,
  channels: (c: SegmentFactsContact) => [...c.channels],
} as const satisfies Record<string, (contact: SegmentFactsContact) => unknown>;
export type ContactField = keyof typeof CONTACT_FACTS;
const ALL_CONTACT_FIELDS = Object.keys(CONTACT_FACTS) as ContactField[];

/** The fields of `contact` a segment may read. */
export const SEGMENT_CONTACT_FIELDS: ReadonlySet<string> = new Set(ALL_CONTACT_FIELDS);

const isContactField = (name: string | undefined): name is ContactField => name !== undefined && SEGMENT_CONTACT_FIELDS.has(name);

/**
 * Operators whose second argument is evaluated once per item of their first, with the item (or
 * `{ current, accumulator }` for `reduce`) as its data: a `var` there reads the item, not the
 * contact, so any path is in scope.
 */
const ITERATING_OPERATORS: ReadonlySet<string> = new Set(['map', 'filter', 'reduce', 'all', 'none', 'some']);
/** Position of the per-item rule among an iterating operator's arguments. */
const ITEM_RULE_INDEX = 1;

type Path = (string | number)[];

/** What a rule reads of the contact, found while checking its paths. */
interface ContactScope {
  problems: SegmentProblem[];
  /** The contact fields the rule can observe; every field when it reads `contact` whole. */
  fieldsRead: Set<ContactField>;
}

/** Checks a literal data path read against the contact's facts; non-literals are validateJsonLogic's to refuse. */
function checkContactPath(key: unknown, path: Path, scope: ContactScope): void {
  if (key !== null && key !== undefined && typeof key !== 'string' && typeof key !== 'number') return;
  const text = key === null || key === undefined ? '' : String(key);
  const [root, field] = text.split('.');
  if (root !== 'contact') {
    const what = text === '' ? 'the whole data' : `"${text}"`;
    scope.problems.push({
      code: 'segment_variable_outside_contact',
      message: `a segment reads only the contact: ${what} is not a "contact." path`,
      path,
    });
    return;
  }
  if (field === undefined) {
    for (const name of ALL_CONTACT_FIELDS) scope.fieldsRead.add(name);
    return;
  }
  if (isContactField(field)) {
    scope.fieldsRead.add(field);
    return;
  }
  scope.problems.push({
    code: 'segment_unknown_contact_field',
    message: `"${text}": a contact has no field "${field}" (known: ${ALL_CONTACT_FIELDS.join(', ')}; custom fields are under contact.attributes)`,
    path,
  });
}

/**
 * Walks a rule as json-logic-js evaluates it, checking every data path read against the contact
 * and noting the fields read. Outside the per-item rules of iterating operators, a rule reads
 * data only through literal `var` / `missing` / `missing_some` paths (validateJsonLogic refuses
 * computed ones), so a field it names nowhere cannot change its result.
 */
function contactScope(rule: unknown): ContactScope {
  const scope: ContactScope = { problems: [], fieldsRead: new Set() };
  let visited = 0;

  const walk = (node: unknown, path: Path, depth: number, readsItem: boolean): void => {
    // Bounded like validateJsonLogic, which reports an oversized rule itself.
    visited += 1;
    if (visited > MAX_JSONLOGIC_NODES || depth > MAX_JSONLOGIC_DEPTH) return;
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, [...path, i], depth + 1, readsItem));
      return;
    }
    const keys = Object.keys(node);
    if (keys.length !== 1 || !JSONLOGIC_ALLOWED_OPERATORS.has(keys[0] as string)) return;
    const operator = keys[0] as string;
    const opPath = [...path, operator];
    const raw = (node as Record<string, unknown>)[operator];
    const args = Array.isArray(raw) ? raw : [raw];
    const argPath = (i: number): Path => (Array.isArray(raw) ? [...opPath, i] : opPath);

    if (operator === 'var') {
      if (!readsItem) checkContactPath(args[0], argPath(0), scope);
      else walk(args[0], argPath(0), depth + 1, readsItem);
      if (args.length > 1) walk(args[1], argPath(1), depth + 1, readsItem);
      return;
    }
    if (operator === 'missing') {
      // `{"missing": ["a", "b"]}` or `{"missing": [["a", "b"]]}`, as json-logic-js reads it.
      const listed = Array.isArray(args[0]);
      const keys = listed ? (args[0] as unknown[]) : args;
      if (!readsItem) keys.forEach((key, i) => checkContactPath(key, listed ? [...argPath(0), i] : [...opPath, i], scope));
      return;
    }
    if (operator === 'missing_some') {
      walk(args[0], argPath(0), depth + 1, readsItem);
      const keys = args[1];
      if (!readsItem && Array.isArray(keys)) keys.forEach((key, i) => checkContactPath(key, [...argPath(1), i], scope));
      return;
    }
    args.forEach((arg, i) => walk(arg, argPath(i), depth + 1, readsItem || (ITERATING_OPERATORS.has(operator) && i === ITEM_RULE_INDEX)));
  };

  walk(rule, [], 0, false);
  return scope;
}

/**
 * Every problem of a segment rule, each with a stable code and its path; an empty list means
 * the rule may be scanned. A rule is an operator object, or `true` / `false` (everyone / no one).
 */
export function validateSegmentRule(rule: unknown): SegmentProblem[] {
  if (typeof rule === 'boolean') return [];
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
    const what = rule === null ? 'null' : Array.isArray(rule) ? 'a list' : `a ${typeof rule}`;
    return [
      {
        code: 'segment_rule_not_condition',
        message: `a segment rule must be a json-logic operator object or a boolean, not ${what}`,
        path: [],
      },
    ];
  }
  return [...validateJsonLogic(rule), ...contactScope(rule).problems];
}

/** Builds `{ contact: { ...fields } }` without prototypes, as toJsonLogicData would copy it. */
function buildFacts(contact: SegmentFactsContact, fields: readonly ContactField[]): unknown {
  const copy = Object.create(null) as Record<string, unknown>;
  for (const field of fields) copy[field] = CONTACT_FACTS[field](contact);
  const root = Object.create(null) as Record<string, unknown>;
  root.contact = copy;
  return root;
}

/**
 * The json-logic data a segment rule sees for one contact, already copied for evaluation (no
 * prototype reachable). Dates are ISO 8601 strings in UTC, so `{"<": [{"var": "contact.createdAt"},
 * "2025-01-01"]}` compares them as json-logic compares strings, in time order.
 */
export function segmentFacts(contact: SegmentFactsContact): unknown {
  return buildFacts(contact, ALL_CONTACT_FIELDS);
}

/** A segment rule validated once, evaluated for many contacts. */
export interface CompiledSegment {
  /** True when the contact belongs to the segment; throws `SegmentInvalidError` when the rule throws on its data. */
  matches(contact: SegmentFactsContact): boolean;
  /** The contact fields the rule reads: a scan need not read (or compute) the others. */
  fieldsRead: ReadonlySet<ContactField>;
}

/** Validates a segment rule (throws `SegmentInvalidError` with every problem) and returns its evaluator. */
export function compileSegment(rule: unknown): CompiledSegment {
  const problems = validateSegmentRule(rule);
  if (problems.length > 0) throw new SegmentInvalidError(problems);
  const condition = compileCondition(rule);
  // Only the fields the rule reads are copied: a tag rule need not copy every contact's attributes.
  const { fieldsRead } = contactScope(rule);
  const fields = ALL_CONTACT_FIELDS.filter((field) => fieldsRead.has(field));
  return {
    fieldsRead,
    matches(contact) {
      try {
        return condition.test(buildFacts(contact, fields));
      } catch (error) {
        if (!(error instanceof JsonLogicEvaluationError)) throw error;
        // A rule throws when it treats a whole object as a value (`cat` of contact.attributes): the rule is what to fix.
        throw new SegmentInvalidError(
          [{ code: 'segment_evaluation_failed', message: `the rule could not be evaluated against contact ${contact.id}` }],
          { cause: error },
        );
      }
    },
  };
}
