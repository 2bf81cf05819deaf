import { useCallback, useEffect, useState } from 'react';
import type { Page, RunDetail, RunSummary } from '../api/api-types.ts';
import type { RunPath } from '../pages/flow-editor-page.tsx';
import { messageOf } from '../error-message.ts';
import { useSession } from '../session/session-context.tsx';
import { runPathOf } from './run-path.ts';
import { ErrorAlert } from '../error-alert.tsx';

/** How many recent runs the list shows and the per-node counts cover. */
const RECENT_RUNS = 20;

/** The flow's recent runs; opening one draws its path and lists each step's input, output and error. */
export function RunsPanel({ flowId, nodeLabel, onPath, onCounts }: { flowId: string; nodeLabel: (id: string) => string; onPath: (path: RunPath | null) => void; onCounts: (counts: ReadonlyMap<string, number>) => void }) {
  const { api } = useSession();
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [open, setOpen] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setRuns((await api.get<Page<RunSummary>>(`/flows/${flowId}/runs?limit=${RECENT_RUNS}`)).items);
    } catch (err) {
      setError(messageOf(err));
    }
  }, [api, flowId]);
  useEffect(() => {
    void load();
  }, [load]);

  async function show(run: RunSummary) {
    try {
      const detail = await api.get<RunDetail>(`/runs/${run.id}`);
      setOpen(detail);
      onPath(runPathOf(detail));
    } catch (err) {
      setError(messageOf(err));
    }
  }

  async function countNodes() {
    if (!runs) return;
    try {
      const details = await Promise.all(runs.map((r) => api.get<RunDetail>(`/runs/${r.id}`)));
      const counts = new Map<string, number>();
      for (const detail of details) for (const nodeId of new Set(detail.steps.map((s) => s.nodeId))) counts.set(nodeId, (counts.get(nodeId) ?? 0) + 1);
      onCounts(counts);
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <section aria-label="Run history">
      <div className="row">
        <h2>Runs</h2>
        <button type="button" className="secondary" onClick={() => void load()}>
          Refresh
        </button>
        <button type="button" className="secondary" onClick={() => void countNodes()} disabled={!runs?.length}>
          Count per node
        </button>
      </div>
      <ErrorAlert message={error} />
      {runs?.length === 0 && <p className="muted">No runs yet. Publish the flow and send it a message from the test chat.</p>}
      <ul className="runs">
        {runs?.map((run) => (
          <li key={run.id}>
            <button type="button" className={open?.id === run.id ? 'link active' : 'link'} onClick={() => void show(run)}>
              {new Date(run.startedAt).toLocaleString()}: {run.status} · v{run.version} · {run.stepCount} steps
            </button>
          </li>
        ))}
      </ul>
      {open && (
        <div className="run-detail">
          <h3>
            Run of {new Date(open.startedAt).toLocaleTimeString()}: {open.status}
            {open.stopReason ? ` (${open.stopReason})` : ''}
          </h3>
          <ol>
            {open.steps.map((step) => (
              <li key={step.seq} className={step.error ? 'step failed' : 'step'}>
                <strong>{nodeLabel(step.nodeId)}</strong> {step.port ? `→ ${step.port}` : ''}
                <details>
                  <summary>Input, output{step.error ? ', error' : ''}</summary>
                  <pre>{JSON.stringify({ input: step.input, output: step.output, ...(step.error ? { error: step.error } : {}) }, null, 2)}</pre>
                </details>
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}
