import { isBlocking, type FlowProblem } from '../../../engine/flows/flow-problem.ts';

/** What the list says above the problems: how many block publishing, and the warnings that do not. */
function summary(problems: readonly FlowProblem[]): string {
  const blocking = problems.filter(isBlocking).length;
  const warnings = problems.length - blocking;
  const warningText = `${warnings} ${warnings === 1 ? 'warning' : 'warnings'}`;
  if (blocking === 0) return `${warningText}: this flow can be published, but read ${warnings === 1 ? 'it' : 'them'} first`;
  const blockingText = `${blocking} ${blocking === 1 ? 'problem' : 'problems'} to fix before publishing`;
  return warnings === 0 ? blockingText : `${blockingText}, and ${warningText}`;
}

/**
 * The engine's validation problems of the draft, each with a button that takes the user to the
 * node it concerns. Warnings (a credential typed into a header) are listed too but do not block
 * publishing. Empty means the flow can be published.
 */
export function ProblemsList({
  problems,
  nodeLabel,
  onJump,
}: {
  problems: readonly FlowProblem[];
  nodeLabel: (nodeId: string) => string;
  onJump: (nodeId: string) => void;
}) {
  if (problems.length === 0) {
    return (
      <p className="ok" role="status">
        No problems: this flow can be published.
      </p>
    );
  }
  return (
    <div>
      <p role="status">{summary(problems)}</p>
      <ul className="problems" aria-label="Validation problems">
        {problems.map((problem, i) => (
          <li key={i} data-code={problem.code} className={isBlocking(problem) ? undefined : 'warning'}>
            {!isBlocking(problem) && 'Warning, '}
            {problem.nodeId ? (
              <button type="button" className="link" onClick={() => onJump(problem.nodeId!)}>
                {nodeLabel(problem.nodeId)}
              </button>
            ) : (
              <strong>Flow</strong>
            )}
            : {problem.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The problems grouped by the node they concern, for drawing on the canvas. */
export function problemsByNode(problems: readonly FlowProblem[]): Map<string, FlowProblem[]> {
  const byNode = new Map<string, FlowProblem[]>();
  for (const problem of problems) {
    if (!problem.nodeId) continue;
    const list = byNode.get(problem.nodeId) ?? [];
    list.push(problem);
    byNode.set(problem.nodeId, list);
  }
  return byNode;
}
