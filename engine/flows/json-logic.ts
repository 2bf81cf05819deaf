import jsonLogic from 'json-logic-js';
import { z } from 'zod';
import { isForbiddenPathSegment } from './flow-identifiers.ts';
import { JsonLogicEvaluationError } from './json-logic-evaluation.error.ts';
import { UnsafeJsonLogicError } from './unsafe-json-logic.error.ts';

/**
 * Operators a rule may use. Everything json-logic-js ships except `log` (writes to the console),
 * and no custom operations: an operator outside this table is refused before evaluation, so the
 * evaluator never reaches json-logic-js's dotted-operator lookup or any added operation.
 */
export const JSONLOGIC_ALLOWED_OPERATORS: ReadonlySet<string> = new Set([
  // data access
  'var',
  'missing',
  'missing_some',
  // logic and comparison
  'if',
  '?:',
  '==',
  '===',
  '!=',
  '!==',
  '!',
  '!!',
  'or',
  'and',
  '>',
  '>=',
  '<',
  '<=',
  // arithmetic
  '+',
  '-',
  '*',
  '/',
  '%',
  'min',
  'max',
  // arrays
  'map',
  'filter',
  'reduce',
  'all',
  'none',
  'some',
  'merge',
  'in',
  // strings
  'cat',
  'substr',
]);

/** Deepest nesting of a rule; a hand-written condition rarely passes 6. */
export const MAX_JSONLOGIC_DEPTH = 32;
/** Most operators and values in one rule. */
export const MAX_JSONLOGIC_NODES = 2_000;

/** Any JSON value; what a node config holds as a json-logic rule before validation. */
export const JsonLogicRuleSchema = z.json();
export type JsonLogicRule = z.infer<typeof JsonLogicRuleSchema>;

export type JsonLogicProblemCode = 'jsonlogic_operator_not_allowed' | 'jsonlogic_forbidden_path' | 'jsonlogic_invalid';
export interface JsonLogicProblem {
  code: JsonLogicProblemCode;
  message: string;
  /** Where in the rule, from the rule's root. */
  path: (string | number)[];
}

type Path = (string | number)[];

/** Walks a rule and returns every problem with its path; an empty list means the rule may be evaluated. */
export function validateJsonLogic(rule: unknown): JsonLogicProblem[] {
  const problems: JsonLogicProblem[] = [];
  let visited = 0;

  const checkDataPath = (key: unknown, path: Path, what: string): void => {
    if (key === null || key === undefined || typeof key === 'number') return;
    if (typeof key !== 'string') {
      // A computed path could be assembled into "__proto__" at run time; only literals are provable.
      problems.push({ code: 'jsonlogic_forbidden_path', message: `the path of "${what}" must be a literal string`, path });
      return;
    }
    const bad = key.split('.').find(isForbiddenPathSegment);
    if (bad !== undefined) {
      problems.push({ code: 'jsonlogic_forbidden_path', message: `the path "${key}" goes through "${bad}"`, path });
    }
  };

  const walk = (node: unknown, path: Path, depth: number): void => {
    visited += 1;
    if (visited === MAX_JSONLOGIC_NODES + 1) {
      problems.push({ code: 'jsonlogic_invalid', message: `a rule may hold at most ${MAX_JSONLOGIC_NODES} values`, path });
    }
    if (visited > MAX_JSONLOGIC_NODES) return;
    if (depth > MAX_JSONLOGIC_DEPTH) {
      problems.push({ code: 'jsonlogic_invalid', message: `a rule may nest at most ${MAX_JSONLOGIC_DEPTH} levels`, path });
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, [...path, i], depth + 1));
      return;
    }
    const keys = Object.keys(node);
    if (keys.length !== 1) {
      problems.push({ code: 'jsonlogic_invalid', message: 'an object in a rule must have exactly one key, its operator', path });
      return;
    }
    const operator = keys[0] as string;
    const opPath = [...path, operator];
    if (!JSONLOGIC_ALLOWED_OPERATORS.has(operator)) {
      problems.push({ code: 'jsonlogic_operator_not_allowed', message: `the operator "${operator}" is not allowed`, path: opPath });
      return;
    }
    const raw = (node as Record<string, unknown>)[operator];
    const args = Array.isArray(raw) ? raw : [raw];
    const argPath = (i: number): Path => (Array.isArray(raw) ? [...opPath, i] : opPath);

    if (operator === 'var') {
      checkDataPath(args[0], argPath(0), 'var');
      if (args.length > 1) walk(args[1], argPath(1), depth + 1);
      return;
    }
    if (operator === 'missing') {
      const keyList = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
      const listPath = Array.isArray(args[0]) ? argPath(0) : opPath;
      keyList.forEach((key, i) => checkDataPath(key, [...listPath, i], 'missing'));
      return;
    }
    if (operator === 'missing_some') {
      walk(args[0], argPath(0), depth + 1);
      const keyList = args[1];
      if (!Array.isArray(keyList)) {
        problems.push({ code: 'jsonlogic_forbidden_path', message: 'the keys of "missing_some" must be a literal list', path: argPath(1) });
        return;
      }
      keyList.forEach((key, i) => checkDataPath(key, [...argPath(1), i], 'missing_some'));
      return;
    }
    args.forEach((arg, i) => walk(arg, argPath(i), depth + 1));
  };

  walk(rule, [], 0);
  return problems;
}

/** Most levels of data copied for evaluation; deeper values read as null. */
const MAX_DATA_DEPTH = 16;

/**
 * Copies data for evaluation: plain JSON values only, objects without a prototype (so that no
 * path reaches Object.prototype, even an inherited name such as "toString"), dates as ISO strings,
 * functions and symbols dropped.
 */
export function toJsonLogicData(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (depth >= MAX_DATA_DEPTH) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map((item) => toJsonLogicData(item, depth + 1));
  if (typeof value === 'object') {
    const copy = Object.create(null) as Record<string, unknown>;
    for (const [key, item] of Object.entries(value)) {
      if (isForbiddenPathSegment(key) || typeof item === 'function' || typeof item === 'symbol' || item === undefined) continue;
      copy[key] = toJsonLogicData(item, depth + 1);
    }
    return copy;
  }
  return null;
}

/**
 * Most operator evaluations one rule may take on one piece of data (about 100 ms at worst). A
 * rule's size does not bound its work: `some` inside `some` over a literal list of 50 evaluates
 * its body 50^depth times, and `reduce` whose body merges the accumulator with itself doubles a
 * list at each step (40 steps: 2^40 items), so one rule could hold the process for hours.
 */
export const MAX_JSONLOGIC_STEPS = 100_000;
/** Longest list or text an operator may produce; a message's text (65,536) fits, a doubling list does not get far. */
export const MAX_JSONLOGIC_VALUE_LENGTH = 100_000;

class JsonLogicBudgetExceeded extends Error {
  override name = 'JsonLogicBudgetExceeded';
}

/**
 * Evaluates already-copied data (see `toJsonLogicData`); the rule must have passed `validateJsonLogic`.
 * json-logic-js evaluates every sub-rule through `jsonLogic.apply`, its own recursion included:
 * for this (synchronous) evaluation that function is replaced by one that counts the steps and
 * measures what each produced, and restored afterwards, so a rule that passes either bound
 * raises JsonLogicEvaluationError like any rule that fails on its data.
 */
function applyChecked(rule: unknown, data: unknown): boolean {
  const unbounded = jsonLogic.apply;
  let stepsLeft = MAX_JSONLOGIC_STEPS;
  jsonLogic.apply = (logic, d) => {
    if (--stepsLeft < 0) throw new JsonLogicBudgetExceeded(`more than ${MAX_JSONLOGIC_STEPS} steps`);
    const value: unknown = unbounded(logic, d);
    if ((typeof value === 'string' || Array.isArray(value)) && value.length > MAX_JSONLOGIC_VALUE_LENGTH)
      throw new JsonLogicBudgetExceeded(`a value longer than ${MAX_JSONLOGIC_VALUE_LENGTH}`);
    return value;
  };
  try {
    return jsonLogic.truthy(jsonLogic.apply(rule as jsonLogic.RulesLogic, data));
  } catch (error) {
    const message =
      error instanceof JsonLogicBudgetExceeded
        ? `the condition takes too much work on this data (${error.message}); simplify it`
        : 'the condition could not be evaluated against this data';
    throw new JsonLogicEvaluationError(message, { cause: error });
  } finally {
    jsonLogic.apply = unbounded;
  }
}

/**
 * Evaluates a condition against data and returns its json-logic truthiness. The rule is checked
 * against the allow-list first (throws `UnsafeJsonLogicError`), and the data is copied so that no
 * prototype is reachable; a rule that throws on this data raises `JsonLogicEvaluationError`.
 */
export function evaluateCondition(rule: unknown, data: unknown): boolean {
  const problems = validateJsonLogic(rule);
  if (problems.length > 0) throw new UnsafeJsonLogicError(problems);
  return applyChecked(rule, toJsonLogicData(data));
}

/** A rule checked once, evaluated many times (trigger indexes, switch cases). */
export interface CompiledCondition {
  /** Evaluates against data already passed through `toJsonLogicData`. */
  test(preparedData: unknown): boolean;
}

/** Validates a rule once and returns an evaluator; throws `UnsafeJsonLogicError` when refused. */
export function compileCondition(rule: unknown): CompiledCondition {
  const problems = validateJsonLogic(rule);
  if (problems.length > 0) throw new UnsafeJsonLogicError(problems);
  // A private copy: a caller mutating its rule later cannot smuggle in an operator.
  const frozen = structuredClone(rule);
  return { test: (preparedData) => applyChecked(frozen, preparedData) };
}
