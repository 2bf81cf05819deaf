import { z } from 'zod';
import {
  FLOW_SCHEMA_VERSION,
  FlowEdgeSchema,
  MAX_FLOW_EDGES,
  MAX_FLOW_NODES,
  NodeShellSchema,
  type Flow,
  type FlowEdge,
  type FlowNode,
} from './flow.schema.ts';
import { credentialHint } from './credential-hint.ts';
import { isBlocking, type FlowProblem } from './flow-problem.ts';
import { validateJsonLogic } from './json-logic.ts';
import { findNodeDefinition } from './node-catalog.ts';
import type { NodeDefinition, NodeExpressions, OutputPort } from './node-definition.ts';
import { compileUserPattern, MAX_PATTERN_PROGRAM_SIZE, MAX_WORKSPACE_PATTERN_PROGRAM_SIZE } from './user-pattern.ts';
import { parseTemplate, secretNamesOf } from './template.ts';

/** Largest document, in characters of JSON, that validation will look at. */
export const MAX_FLOW_DOCUMENT_CHARS = 2_000_000;
/** Most nodes named in one cycle problem's message. */
const MAX_NODES_NAMED = 10;

/**
 * `ok` with the parsed flow when nothing blocks publishing; `warnings` (severity `warning`) never
 * block. Not `ok`: `problems` lists the blocking problems and the warnings together.
 */
export type FlowValidation = { ok: true; flow: Flow; warnings: FlowProblem[] } | { ok: false; problems: FlowProblem[] };

export interface ValidateFlowOptions {
  /**
   * The workspace's secret names. When given, a `{{secrets.NAME}}` naming none of them is a
   * problem (publishing checks this); when absent, secret names are not checked (a document
   * validated away from any workspace).
   */
  secretNames?: ReadonlySet<string>;
  /**
   * The ids of the workspace's saved message templates. When given, a node that sends a
   * template not among them is a problem (publishing checks this); when absent, not checked.
   */
  templateIds?: ReadonlySet<string>;
}

type Path = (string | number)[];

const EnvelopeSchema = z.strictObject({
  schemaVersion: z.literal(FLOW_SCHEMA_VERSION),
  nodes: z.array(z.unknown()).max(MAX_FLOW_NODES),
  edges: z.array(z.unknown()).max(MAX_FLOW_EDGES),
});

/** A node that passed the shell check, with what the catalog says about it. */
interface CheckedNode {
  index: number;
  id: string;
  /** What people call it in messages: its label, else its kind's name. Never its id. */
  name: string;
  definition: NodeDefinition | undefined;
  /** Set when the config passed its schema. */
  parsed: FlowNode | undefined;
  /** Known only with a valid config. */
  ports: readonly OutputPort[] | undefined;
}

/**
 * A field's place in words for a person (`match.keywords.0` → `Match › keywords`): problems are
 * shown beside the node's name, so the path inside the node or edge is enough, and numbers (list
 * positions) say nothing a person needs. `whole`: what to say when the path is empty.
 */
export function fieldInWords(path: readonly (string | number)[], whole: string): string {
  const words = path
    .filter((p): p is string => typeof p === 'string')
    .map((p) =>
      p
        .replace(/([a-z])([A-Z])/g, '$1 $2')
        .replace(/_/g, ' ')
        .toLowerCase(),
    );
  if (words.length === 0) return whole;
  const text = words.join(' › ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function zodProblems(
  error: z.ZodError,
  code: 'invalid_document' | 'invalid_config',
  prefix: Path,
  ids: { nodeId?: string; edgeId?: string },
): FlowProblem[] {
  return error.issues.map((issue) => {
    const local = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    const path = [...prefix, ...local];
    // The path stays machine-readable in `path`; the message names the field in words.
    const whole =
      code === 'invalid_config'
        ? 'Settings'
        : ids.edgeId !== undefined || ids.nodeId !== undefined
          ? ids.edgeId !== undefined
            ? 'Connection'
            : 'Node'
          : 'Document';
    const where =
      code === 'invalid_config' || ids.nodeId !== undefined || ids.edgeId !== undefined
        ? fieldInWords(local, whole)
        : path.join('.') || 'document';
    return { code, message: `${where}: ${issue.message}`, path, ...ids };
  });
}

function idOf(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object' || !Object.hasOwn(raw, 'id')) return undefined;
  const id = (raw as { id: unknown }).id;
  return typeof id === 'string' && id.length <= 200 ? id : undefined;
}

/**
 * What is left of MAX_WORKSPACE_PATTERN_PROGRAM_SIZE for the flow's remaining patterns. Once it is
 * spent, later patterns are reported without being compiled: compiling costs up to about a
 * millisecond, and a 1,000-node document of refused patterns held a validation request for 1.2 s.
 */
interface PatternBudget {
  left: number;
}

function patternProblems(
  pattern: string,
  caseInsensitive: boolean,
  budget: PatternBudget,
): { code: FlowProblem['code']; message: string }[] {
  const tooBig = {
    code: 'regex_unsafe' as const,
    message: `the flow's regex triggers together are too big to check on every message (at most ${MAX_WORKSPACE_PATTERN_PROGRAM_SIZE} steps per character for the whole workspace); use keyword triggers, or fewer and smaller patterns`,
  };
  if (budget.left <= 0) return [tooBig];
  const compiled = compileUserPattern(pattern, caseInsensitive);
  if (!compiled.ok) {
    // A pattern refused for its size cost at least the most one may have to compile.
    if (compiled.problem.code === 'regex_unsafe') budget.left -= MAX_PATTERN_PROGRAM_SIZE;
    return [compiled.problem];
  }
  budget.left -= compiled.pattern.programSize;
  return budget.left < 0 ? [tooBig] : [];
}

function expressionProblems(
  expressions: NodeExpressions,
  nodeId: string,
  configPath: Path,
  options: ValidateFlowOptions,
  budget: PatternBudget,
): FlowProblem[] {
  const problems: FlowProblem[] = [];
  for (const { path, rule } of expressions.jsonLogic ?? []) {
    for (const p of validateJsonLogic(rule)) {
      problems.push({ code: p.code, message: p.message, nodeId, path: [...configPath, ...path, ...p.path] });
    }
  }
  for (const { path, pattern, caseInsensitive } of expressions.regexes ?? []) {
    for (const p of patternProblems(pattern, caseInsensitive, budget))
      problems.push({ code: p.code, message: p.message, nodeId, path: [...configPath, ...path] });
  }
  for (const { path, source, allowsSecrets } of expressions.templates ?? []) {
    const parsed = parseTemplate(source, { allowSecrets: allowsSecrets === true });
    if (!parsed.ok) {
      for (const p of parsed.problems)
        problems.push({
          code: p.code ?? 'template_invalid',
          message: `${p.message} (at character ${p.offset})`,
          nodeId,
          path: [...configPath, ...path],
        });
      continue;
    }
    for (const name of secretNamesOf(parsed.template)) {
      if (options.secretNames && !options.secretNames.has(name)) {
        problems.push({
          code: 'secret_unknown',
          message: `the secret "${name}" does not exist in this workspace: create it under Secrets, or correct the name`,
          nodeId,
          path: [...configPath, ...path],
        });
      }
    }
  }
  for (const { path, value, headerName } of expressions.outgoingText ?? []) {
    const hint = credentialHint(value, headerName);
    if (hint) {
      problems.push({
        code: 'credential_in_plain_text',
        severity: 'warning',
        message: `${hint} in plain text, which anyone who can read this flow sees: store it as a secret and write {{secrets.NAME}} here instead`,
        nodeId,
        path: [...configPath, ...path],
      });
    }
  }
  return problems;
}

/** A node sending a saved template the workspace no longer has (deleted, or from another workspace's export). */
function templateProblems(
  expressions: NodeExpressions,
  nodeId: string,
  name: string,
  configPath: Path,
  options: ValidateFlowOptions,
): FlowProblem[] {
  const known = options.templateIds;
  if (!known) return [];
  return (expressions.messageTemplates ?? [])
    .filter((ref) => !known.has(ref.templateId))
    .map((ref) => ({
      code: 'template_missing' as const,
      message: `"${name}" sends a saved template that no longer exists: pick another template, or write the message in the node`,
      nodeId,
      path: [...configPath, ...ref.path],
    }));
}

/** Tarjan's strongly connected components, iteratively (a 1,000-node chain must not blow the stack). */
function stronglyConnected(ids: readonly string[], successors: (id: string) => readonly string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of ids) {
    if (index.has(root)) continue;
    const work: { id: string; next: number }[] = [{ id: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter);
    counter += 1;
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { id: string; next: number };
      const succ = successors(frame.id);
      if (frame.next < succ.length) {
        const w = succ[frame.next] as string;
        frame.next += 1;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter);
          counter += 1;
          stack.push(w);
          onStack.add(w);
          work.push({ id: w, next: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.id, Math.min(low.get(frame.id) as number, index.get(w) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) as number, low.get(frame.id) as number));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let w: string | undefined;
        do {
          w = stack.pop() as string;
          onStack.delete(w);
          component.push(w);
        } while (w !== frame.id);
        components.push(component);
      }
    }
  }
  return components;
}

/**
 * Checks a flow document and returns either the parsed flow (configs with their defaults) or
 * every problem found, each with a stable code and the node, edge and path it concerns.
 */
export function validateFlow(doc: unknown, options: ValidateFlowOptions = {}): FlowValidation {
  let size: number;
  try {
    size = JSON.stringify(doc)?.length ?? 0;
  } catch {
    return {
      ok: false,
      problems: [{ code: 'invalid_document', message: 'the document is not JSON (a cycle or a value JSON cannot hold)' }],
    };
  }
  if (size > MAX_FLOW_DOCUMENT_CHARS) {
    return {
      ok: false,
      problems: [
        { code: 'invalid_document', message: `the document has ${size} characters; at most ${MAX_FLOW_DOCUMENT_CHARS} are allowed` },
      ],
    };
  }
  const envelope = EnvelopeSchema.safeParse(doc);
  if (!envelope.success) return { ok: false, problems: zodProblems(envelope.error, 'invalid_document', [], {}) };

  const problems: FlowProblem[] = [];
  const nodes = new Map<string, CheckedNode>();
  const patternBudget: PatternBudget = { left: MAX_WORKSPACE_PATTERN_PROGRAM_SIZE };

  envelope.data.nodes.forEach((raw, index) => {
    const nodePath: Path = ['nodes', index];
    const rawId = idOf(raw);
    const shell = NodeShellSchema.safeParse(raw);
    if (!shell.success) {
      problems.push(...zodProblems(shell.error, 'invalid_document', nodePath, rawId === undefined ? {} : { nodeId: rawId }));
      return;
    }
    const { id, type } = shell.data;
    if (nodes.has(id)) {
      problems.push({
        code: 'duplicate_id',
        message: `the node id "${id}" is used by more than one node`,
        nodeId: id,
        path: [...nodePath, 'id'],
      });
      return;
    }
    const definition = findNodeDefinition(type);
    const label = (shell.data as { label?: unknown }).label;
    const name = typeof label === 'string' && label.trim() !== '' ? label.trim() : (definition?.label ?? type);
    const checked: CheckedNode = { index, id, name, definition, parsed: undefined, ports: undefined };
    nodes.set(id, checked);
    if (!definition) {
      problems.push({ code: 'unknown_node_type', message: `"${type}" is not a node type`, nodeId: id, path: [...nodePath, 'type'] });
      return;
    }
    const configPath: Path = [...nodePath, 'config'];
    const config = definition.configSchema.safeParse(shell.data.config);
    if (!config.success) {
      problems.push(...zodProblems(config.error, 'invalid_config', configPath, { nodeId: id }));
      return;
    }
    checked.parsed = { ...shell.data, config: config.data } as FlowNode;
    checked.ports = definition.outputs(config.data);
    if (definition.expressions) {
      const expressions = definition.expressions(config.data);
      problems.push(...expressionProblems(expressions, id, configPath, options, patternBudget));
      problems.push(...templateProblems(expressions, id, name, configPath, options));
    }
  });

  const edges: FlowEdge[] = [];
  const edgeIds = new Set<string>();
  const takenPorts = new Map<string, string>();
  const successors = new Map<string, string[]>();
  envelope.data.edges.forEach((raw, index) => {
    const edgePath: Path = ['edges', index];
    const rawId = idOf(raw);
    const parsed = FlowEdgeSchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(...zodProblems(parsed.error, 'invalid_document', edgePath, rawId === undefined ? {} : { edgeId: rawId }));
      return;
    }
    const edge = parsed.data;
    if (edgeIds.has(edge.id)) {
      problems.push({
        code: 'duplicate_id',
        message: `the edge id "${edge.id}" is used by more than one edge`,
        edgeId: edge.id,
        path: [...edgePath, 'id'],
      });
      return;
    }
    edgeIds.add(edge.id);
    const source = nodes.get(edge.source);
    const target = nodes.get(edge.target);
    let usable = true;
    for (const [end, node, field] of [
      ['source', source, edge.source],
      ['target', target, edge.target],
    ] as const) {
      if (!node) {
        problems.push({
          code: 'edge_missing_node',
          message: `the edge's ${end} "${field}" is not a node of this flow`,
          edgeId: edge.id,
          path: [...edgePath, end],
        });
        usable = false;
      }
    }
    if (!source || !target) return;
    if (source.ports && !source.ports.some((p) => p.id === edge.sourceHandle)) {
      const known = source.ports.map((p) => `"${p.id}"`).join(', ') || 'none';
      problems.push({
        code: 'edge_wrong_port',
        message: `"${source.name}" has no output "${edge.sourceHandle}" (its outputs: ${known})`,
        edgeId: edge.id,
        nodeId: source.id,
        path: [...edgePath, 'sourceHandle'],
      });
      usable = false;
    }
    if (target.definition?.category === 'trigger') {
      problems.push({
        code: 'edge_wrong_port',
        message: `"${target.name}" is a trigger: a flow starts there, so nothing can lead to it`,
        edgeId: edge.id,
        nodeId: target.id,
        path: [...edgePath, 'target'],
      });
      usable = false;
    }
    const portKey = `${edge.source}\u0000${edge.sourceHandle}`;
    const holder = takenPorts.get(portKey);
    if (usable && holder !== undefined) {
      problems.push({
        code: 'edge_port_taken',
        message: `output "${edge.sourceHandle}" of "${source.name}" is already connected to another node: an output has one next step`,
        edgeId: edge.id,
        nodeId: source.id,
        path: [...edgePath, 'sourceHandle'],
      });
      usable = false;
    }
    if (!usable) return;
    takenPorts.set(portKey, edge.id);
    edges.push(edge);
    successors.set(edge.source, [...(successors.get(edge.source) ?? []), edge.target]);
  });

  const triggers = [...nodes.values()].filter((n) => n.definition?.category === 'trigger');
  if (triggers.length === 0) {
    problems.push({ code: 'no_trigger', message: 'a flow needs at least one trigger (message received, schedule or inbound webhook)' });
  } else {
    const reached = new Set(triggers.map((t) => t.id));
    const queue = [...reached];
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      for (const next of successors.get(id) ?? []) {
        if (!reached.has(next)) {
          reached.add(next);
          queue.push(next);
        }
      }
    }
    for (const node of nodes.values()) {
      if (!reached.has(node.id))
        problems.push({
          code: 'unreachable_node',
          message: `"${node.name}" cannot be reached from any trigger: connect it below a trigger, or delete it`,
          nodeId: node.id,
          path: ['nodes', node.index],
        });
    }
  }

  // A cycle without a wait is a cycle in the graph left after removing every waiting node.
  const spinning = [...nodes.values()].filter((n) => n.definition !== undefined && !n.definition.waits);
  const spinningIds = new Set(spinning.map((n) => n.id));
  const innerSuccessors = (id: string) => (successors.get(id) ?? []).filter((s) => spinningIds.has(s));
  for (const component of stronglyConnected(
    spinning.map((n) => n.id),
    innerSuccessors,
  )) {
    const first = component[0] as string;
    const isCycle = component.length > 1 || innerSuccessors(first).includes(first);
    if (!isCycle) continue;
    const ordered = component.map((id) => nodes.get(id) as CheckedNode).sort((a, b) => a.index - b.index);
    const head = ordered[0] as CheckedNode;
    const named =
      ordered
        .slice(0, MAX_NODES_NAMED)
        .map((n) => `"${n.name}"`)
        .join(', ') + (ordered.length > MAX_NODES_NAMED ? ', …' : '');
    problems.push({
      code: 'cycle_without_wait',
      message: `nodes ${named} form a loop with no delay, wait for reply or question in it`,
      nodeId: head.id,
      path: ['nodes', head.index],
    });
  }

  if (problems.some(isBlocking)) return { ok: false, problems };
  const flowNodes = [...nodes.values()].sort((a, b) => a.index - b.index).map((n) => n.parsed as FlowNode);
  return { ok: true, flow: { schemaVersion: FLOW_SCHEMA_VERSION, nodes: flowNodes, edges }, warnings: problems };
}
