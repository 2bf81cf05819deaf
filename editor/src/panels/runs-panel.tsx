import { useCallback, useState } from 'react';
import type { Page, RunDetail, RunSummary } from '../api/api-types.ts';
import { messageOf } from '../error-message.ts';
import { useSession } from '../session/session-context.tsx';
import { runPathOf, type RunPath } from './run-path.ts';
import { runHeadline, runStatusText, runStory } from './run-story.ts';
import { useInterval } from './use-interval.ts';
import { ErrorAlert } from '../error-alert.tsx';

/** How many recent runs the list shows and the per-node counts cover. */
const RECENT_RUNS = 20;
/** The list follows new runs while it is open (a test chat message, a real contact). */
const LIVE_REFRESH_MS = 2_000;

/** The flow's recent runs, live; opening one draws its path and tells it as a conversation, with the raw data behind a toggle. */
export function RunsPanel({ flowId, nodeLabel, onPath, onCounts }: { flowId: string; nodeLabel: (id: string) => string; onPath: (path: RunPath | null) => void; onCounts: (counts: ReadonlyMap<string, number>) => void }) {
  const { api } = useSession();
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [open, setOpen] = useState<RunDetail | null>(null);
  const [showData, setShowData] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setRuns((await api.get<Page<RunSummary>>(`/flows/${flowId}/runs?limit=${RECENT_RUNS}`)).items);
      setError(null);
    } catch (err) {
      setError(messageOf(err));
    }
  }, [api, flowId]);
  // The first call is at once, then every LIVE_REFRESH_MS while the panel is open.
  useInterval(load, LIVE_REFRESH_MS, true);

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
    <section aria-label="Run history" className="runs-panel">
      <div className="row">
        <h2>Runs</h2>
        <button type="button" className="secondary" onClick={() => void countNodes()} disabled={!runs?.length}>
          Count per node
        </button>
      </div>
      <ErrorAlert message={error} />
      {runs?.length === 0 && <p className="muted">No runs yet. Send this flow a message from the test chat.</p>}
      <ul className="runs" aria-label="Recent runs">
        {runs?.map((run) => (
          <li key={run.id}>
            <button type="button" className={open?.id === run.id ? 'run-item active' : 'run-item'} onClick={() => void show(run)}>
              <span className="run-headline">{runHeadline(run)}</span>
              <span className="muted small">
                {new Date(run.startedAt).toLocaleTimeString()} · {runStatusText(run)}
              </span>
            </button>
          </li>
        ))}
      </ul>
      {open && (
        <div className="run-detail" aria-label="Run details">
          <h3>
            {runHeadline(open)} · {runStatusText(open)}
          </h3>
          <ol className="run-story">
            {runStory(open, nodeLabel).map((line, i) => (
              <li key={i} className={`story ${line.who}`}>
                <span className="story-who">{{ contact: 'Contact', bot: 'Bot', flow: 'Flow', error: 'Problem' }[line.who]}</span> {line.text}
              </li>
            ))}
          </ol>
          <label className="inline">
            <input type="checkbox" checked={showData} onChange={(e) => setShowData(e.target.checked)} /> Show data
          </label>
          {showData && (
            <ol className="run-data">
              {open.steps.map((step) => (
                <li key={step.seq}>
                  <strong>{nodeLabel(step.nodeId)}</strong>
                  <pre>{JSON.stringify({ input: step.input, output: step.output, ...(step.error ? { error: step.error } : {}), ...(step.port ? { port: step.port } : {}) }, null, 2)}</pre>
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
    </section>
  );
}
