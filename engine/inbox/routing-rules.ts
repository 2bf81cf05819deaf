import { compileCondition, toJsonLogicData, type CompiledCondition } from '../flows/json-logic.ts';

/** A routing rule: when its json-logic condition holds, a conversation entering the queue goes to its team. */
export interface RoutingRule {
  id: string;
  teamId: string;
  condition: unknown;
}

/** What a routing condition can read: `contact.*`, `channel.*`, `message.*`. */
export interface RoutingFacts {
  contact: { name: string | null; phone: string | null; attributes: Record<string, unknown>; tags: string[] };
  channel: { id: string; kind: string };
  message: { text: string | null; type: string | null };
}

/**
 * The first rule, in order, whose condition holds for the facts; null when none does. Conditions
 * run through the engine's bounded json-logic evaluator (allow-listed operators, step and size
 * limits); a rule whose evaluation fails on these facts counts as not matching.
 */
export function routeByRules(rules: readonly RoutingRule[], facts: RoutingFacts): RoutingRule | null {
  const data = toJsonLogicData(facts);
  for (const rule of rules) {
    let compiled: CompiledCondition;
    try {
      compiled = compileCondition(rule.condition);
      if (compiled.test(data)) return rule;
    } catch {
      continue;
    }
  }
  return null;
}
