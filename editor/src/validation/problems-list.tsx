import type { FlowProblem } from '../../../engine/flows/flow-problem.ts';

/**
 * The engine's validation problems of the draft, each with a button that takes the user to the
 * node it concerns. Empty means the flow can be published.
 */
export function ProblemsList({ problems, nodeLabel, onJump }: { problems: readonly FlowProblem[]; nodeLabel: (nodeId: string) => string; onJump: (nodeId: string) => void }) {
  if (problems.length === 0) {
    return (
      <p className="ok" role="status">
        No problems: this flow can be published.
      </p>
    );
  }
  return (
    <div>
      <p role="status">
        {problems.length} {problems.length === 1 ? 'problem' : 'problems'} to fix before publishing
      </p>
      <ul className="problems" aria-label="Validation problems">
        {problems.map((problem, i) => (
          <li key={i} data-code={problem.code}>
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
