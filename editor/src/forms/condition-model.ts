/**
 * The condition builder's model of a json-logic rule: AND/OR groups of "field operator value"
 * rows. `parseCondition` reads the rules the builder can show; anything else (arithmetic,
 * `if`, …) stays editable as raw JSON only.
 */
export interface ConditionRow {
  kind: 'row';
  field: string;
  operator: OperatorId;
  value: string;
}
export interface ConditionGroup {
  kind: 'group';
  combinator: 'and' | 'or';
  children: (ConditionRow | ConditionGroup)[];
}

type Rule = unknown;
type VarRef = { var: string };

interface OperatorSpec {
  label: string;
  /** False for unary operators (is set / is empty): no value input. */
  takesValue: boolean;
  build(field: string, value: string): Rule;
  /** The field and value of a rule written by this operator, or null when it is not one. */
  read(rule: Record<string, unknown>): { field: string; value: string } | null;
}

const isVar = (x: unknown): x is VarRef =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && Object.keys(x).length === 1 && typeof (x as VarRef).var === 'string';
const scalar = (x: unknown): x is string | number | boolean => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';

/** Numbers stay numbers in comparisons ("age > 18"), other text stays text. */
function typedValue(value: string): string | number {
  return value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
}

function comparison(op: string, label: string, numeric: boolean): OperatorSpec {
  return {
    label,
    takesValue: true,
    build: (field, value) => ({ [op]: [{ var: field }, numeric ? typedValue(value) : value] }),
    read(rule) {
      const args = rule[op];
      if (!Array.isArray(args) || args.length !== 2 || !isVar(args[0]) || !scalar(args[1])) return null;
      return { field: args[0].var, value: String(args[1]) };
    },
  };
}

/** One entry per operator: how to write it and how to recognise it (no switch per operator). */
export const OPERATORS = {
  equals: comparison('==', 'equals', false),
  not_equals: comparison('!=', 'does not equal', false),
  greater: comparison('>', 'is greater than', true),
  greater_or_equal: comparison('>=', 'is at least', true),
  less: comparison('<', 'is less than', true),
  less_or_equal: comparison('<=', 'is at most', true),
  contains: {
    label: 'contains',
    takesValue: true,
    build: (field, value) => ({ in: [value, { var: field }] }),
    read(rule) {
      const args = rule.in;
      if (!Array.isArray(args) || args.length !== 2 || typeof args[0] !== 'string' || !isVar(args[1])) return null;
      return { field: args[1].var, value: args[0] };
    },
  },
  is_set: {
    label: 'is set',
    takesValue: false,
    build: (field) => ({ '!!': { var: field } }),
    read: (rule) => (isVar(rule['!!']) ? { field: rule['!!'].var, value: '' } : null),
  },
  is_empty: {
    label: 'is empty',
    takesValue: false,
    build: (field) => ({ '!': { var: field } }),
    read: (rule) => (isVar(rule['!']) ? { field: rule['!'].var, value: '' } : null),
  },
} satisfies Record<string, OperatorSpec>;
export type OperatorId = keyof typeof OPERATORS;
export const OPERATOR_IDS = Object.keys(OPERATORS) as OperatorId[];

function parseNode(rule: Rule): ConditionRow | ConditionGroup | null {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return null;
  const record = rule as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length !== 1) return null;
  const key = keys[0]!;
  if ((key === 'and' || key === 'or') && Array.isArray(record[key])) {
    const children = (record[key] as Rule[]).map(parseNode);
    if (children.some((c) => c === null)) return null;
    return { kind: 'group', combinator: key, children: children as (ConditionRow | ConditionGroup)[] };
  }
  for (const id of OPERATOR_IDS) {
    const read = OPERATORS[id].read(record);
    if (read) return { kind: 'row', operator: id, ...read };
  }
  return null;
}

/** The builder's model of `rule`, always a group at the top; null when the builder cannot show it. */
export function parseCondition(rule: Rule): ConditionGroup | null {
  if (rule === undefined) return emptyGroup();
  const node = parseNode(rule);
  if (node === null) return null;
  return node.kind === 'group' ? node : { kind: 'group', combinator: 'and', children: [node] };
}

function nodeToRule(node: ConditionRow | ConditionGroup): Rule {
  if (node.kind === 'row') return OPERATORS[node.operator].build(node.field, node.value);
  return { [node.combinator]: node.children.map(nodeToRule) };
}

/** The json-logic rule of a model. A top group of one row is written as that row alone. */
export function conditionToRule(group: ConditionGroup): Rule {
  if (group.children.length === 1 && group.children[0]!.kind === 'row') return nodeToRule(group.children[0]!);
  return nodeToRule(group);
}

export function emptyGroup(): ConditionGroup {
  return { kind: 'group', combinator: 'and', children: [] };
}

export function newRow(field = 'message.text'): ConditionRow {
  return { kind: 'row', field, operator: 'equals', value: '' };
}

/**
 * A rule in words for lists ("Message text contains “invoice” and Contact tags contains “vip”"),
 * with the fields' labels where `labelOf` knows them; null when the builder cannot read the rule.
 */
export function describeCondition(rule: Rule, labelOf: (path: string) => string = (path) => path): string | null {
  const group = parseCondition(rule);
  if (group === null) return null;
  const describe = (node: ConditionRow | ConditionGroup, nested: boolean): string => {
    if (node.kind === 'row') {
      const spec = OPERATORS[node.operator];
      return `${labelOf(node.field)} ${spec.label}${spec.takesValue ? ` “${node.value}”` : ''}`;
    }
    if (node.children.length === 0) return 'always';
    const text = node.children.map((c) => describe(c, true)).join(node.combinator === 'and' ? ' and ' : ' or ');
    return nested && node.children.length > 1 ? `(${text})` : text;
  };
  return describe(group, false);
}
