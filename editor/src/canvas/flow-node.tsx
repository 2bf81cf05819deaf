import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { isBlocking, type FlowProblem } from '../../../engine/flows/flow-problem.ts';
import { findNodeDefinition } from '../../../engine/flows/node-catalog.ts';
import { useFlowDecorations } from './flow-decorations.ts';
import { portsOf, TARGET_HANDLE, type EditorNode } from './flow-mapping.ts';
import { nodeSummary } from './node-summary.ts';
import type { NodeStep } from '../panels/run-path.ts';

/**
 * A node on the canvas: its title, a summary of its config, its problems and its ports.
 * Re-rendered only when what it draws changes (its data, whether it is selected, the decorations
 * of its context): React Flow also passes its measured size, its position and its dragging state,
 * which change for all 300 nodes of a large flow once they are measured, and for a dragged node on
 * every frame (npm run bench -- editor).
 */
export const FlowNodeView = memo(function FlowNodeView({ id, data, selected }: NodeProps<EditorNode>) {
  const { problemsByNode, pathNodes, failedNode, runCounts, stepsByNode } = useFlowDecorations();
  const step = stepsByNode.get(id);
  const definition = findNodeDefinition(data.kind);
  const problems = problemsByNode.get(id) ?? [];
  // Warnings alone (a plain credential) do not block publishing: drawn in the warning colour, not as errors.
  const onlyWarnings = problems.length > 0 && !problems.some(isBlocking);
  const ports = portsOf(data.kind, data.config);
  const onPath = pathNodes.has(id);
  const count = runCounts.get(id);
  const classes = [
    'flow-node',
    `category-${definition?.category ?? 'unknown'}`,
    selected ? 'selected' : '',
    problems.length > 0 ? (onlyWarnings ? 'has-warnings' : 'has-problems') : '',
    onPath ? 'on-path' : '',
    failedNode === id ? 'failed' : '',
  ];
  const summary = nodeSummary(data.kind, data.config);
  return (
    <div className={classes.filter(Boolean).join(' ')} data-node-id={id} data-on-path={onPath ? 'true' : undefined}>
      {definition?.category !== 'trigger' && <Handle type="target" position={Position.Top} id={TARGET_HANDLE} aria-label="Input" />}
      <div className="flow-node-kind">{definition?.label ?? `Unknown: ${data.kind}`}</div>
      <div className="flow-node-title">{data.label ?? definition?.label ?? data.kind}</div>
      {summary && <div className="flow-node-summary">{summary}</div>}
      {problems.length > 0 && (
        <div className="flow-node-problems" role="note" title={problems.map((p) => p.message).join('\n')}>
          ⚠ {problems.length === 1 ? shortProblem(problems[0]!) : `${problems.length} ${onlyWarnings ? 'warnings' : 'problems'}`}
        </div>
      )}
      {step && <NodeStepLine step={step} />}
      {count !== undefined && <div className="flow-node-count">{count} runs</div>}
      {ports.length > 0 && (
        <div className="flow-node-ports">
          {ports.map((port, i) => (
            <div key={port.id} className="flow-node-port" style={{ left: `${((i + 1) / (ports.length + 1)) * 100}%` }}>
              {ports.length > 1 && <span className="flow-node-port-label">{port.label}</span>}
              <Handle type="source" position={Position.Bottom} id={port.id} aria-label={`Output ${port.label}`} data-port={port.id} />
            </div>
          ))}
        </div>
      )}
    </div>
  );
}, sameDrawnProps);

/** The props a node draws from (its decorations come from context and re-render it themselves). */
function sameDrawnProps(
  a: Pick<NodeProps<EditorNode>, 'id' | 'data' | 'selected'>,
  b: Pick<NodeProps<EditorNode>, 'id' | 'data' | 'selected'>,
): boolean {
  return a.id === b.id && a.data === b.data && a.selected === b.selected;
}

/** The shown run's step at this node: its error or a short output on the node, all of it in the tooltip. */
function NodeStepLine({ step }: { step: NodeStep }) {
  const failed = step.error !== null && step.error !== undefined;
  const full = `Input: ${JSON.stringify(step.input, null, 2)}\nOutput: ${JSON.stringify(step.output, null, 2)}${failed ? `\nError: ${JSON.stringify(step.error, null, 2)}` : ''}`;
  // A branch taken says more than an output; a plain `out` says nothing.
  const text = failed ? errorText(step.error) : step.port && step.port !== 'out' ? `→ ${step.port}` : outputInWords(step.output);
  return (
    <div className={failed ? 'flow-node-step failed' : 'flow-node-step'} data-step-error={failed ? 'true' : undefined} title={full}>
      {failed ? '✖ ' : '✓ '}
      {text}
    </div>
  );
}

/** An error as the engine records it ({ code, message }) or any other shape, in a few words. */
function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string') return error.message;
  return shortJson(error);
}

const STEP_TEXT_MAX_CHARS = 60;

const clip = (text: string) => (text.length > STEP_TEXT_MAX_CHARS ? `${text.slice(0, STEP_TEXT_MAX_CHARS - 1)}…` : text);

/** What a step did, in a few words on its node ("Sent “Our prices…”"); the raw output is in the tooltip. */
export function outputInWords(output: unknown): string {
  const stored = (output && typeof output === 'object' ? output : {}) as Record<string, unknown>;
  // A step with effects keeps its node's output under `result`.
  const out = ('result' in stored && 'effects' in stored ? stored.result : stored) as Record<string, unknown> | null;
  if (!out || typeof out !== 'object') return 'done';
  const quoted = (v: unknown) => `“${clip(String(v))}”`;
  const message = out.message as { text?: unknown } | undefined;
  if (message && typeof message === 'object' && typeof message.text === 'string') return `Received ${quoted(message.text)}`;
  if (typeof out.text === 'string') return `Sent ${quoted(out.text)}`;
  if (typeof out.asked === 'string') return `Asked ${quoted(out.asked)}`;
  if ('answer' in out) return `Answer ${quoted(out.answer)}`;
  if (typeof out.reply === 'string') return `Reply ${quoted(out.reply)}`;
  if (typeof out.key === 'string') return `Set ${out.key} to ${quoted(out.value)}`;
  if (typeof out.tag === 'string') return `Tag ${quoted(out.tag)}`;
  if (typeof out.dueAt === 'string') return `Waits until ${new Date(out.dueAt).toLocaleString()}`;
  return 'done';
}

function shortJson(value: unknown): string {
  if (value === null || value === undefined) return 'done';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > STEP_TEXT_MAX_CHARS ? `${text.slice(0, STEP_TEXT_MAX_CHARS - 1)}…` : text;
}

/** The canvas has room for a few words; the full message is in the problems list and the tooltip. */
function shortProblem(problem: FlowProblem): string {
  return SHORT_MESSAGES[problem.code] ?? problem.message;
}
const SHORT_MESSAGES: Partial<Record<FlowProblem['code'], string>> = {
  unreachable_node: 'Not connected to a trigger',
  cycle_without_wait: 'Loop without a wait',
  edge_port_taken: 'Two connections from one output',
  edge_wrong_port: 'Connection from a missing output',
};

/** At module scope: a new object per render would make React Flow remount every node. */
export const NODE_TYPES = { flow: FlowNodeView };
