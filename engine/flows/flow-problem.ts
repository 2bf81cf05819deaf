/** Stable codes of flow validation problems; clients match on these, never on messages. */
export const FLOW_PROBLEM_CODES = [
  'invalid_document',
  'invalid_config',
  'unknown_node_type',
  'no_trigger',
  'duplicate_id',
  'edge_missing_node',
  'edge_wrong_port',
  'edge_port_taken',
  'unreachable_node',
  'cycle_without_wait',
  'jsonlogic_operator_not_allowed',
  'jsonlogic_forbidden_path',
  'jsonlogic_invalid',
  'regex_too_long',
  'regex_invalid',
  'regex_unsupported',
  'regex_unsafe',
  'template_invalid',
  'secret_not_allowed',
  'secret_unknown',
  'template_missing',
  'credential_in_plain_text',
] as const;
export type FlowProblemCode = (typeof FLOW_PROBLEM_CODES)[number];

/**
 * A problem blocks publishing; a `warning` (a credential typed into a header) is shown beside
 * the problems but does not. Absent means a blocking problem, so every older client and every
 * problem written before warnings existed keeps its meaning.
 */
export type FlowProblemSeverity = 'warning';

/** One thing wrong with a flow document, located by node, edge and/or path in the document. */
export interface FlowProblem {
  code: FlowProblemCode;
  severity?: FlowProblemSeverity;
  message: string;
  nodeId?: string;
  edgeId?: string;
  /** Path from the document's root, e.g. ["nodes", 3, "config", "match", "pattern"]. */
  path?: (string | number)[];
}

/** True when the problem blocks publishing (everything but a warning). */
export function isBlocking(problem: FlowProblem): boolean {
  return problem.severity !== 'warning';
}
