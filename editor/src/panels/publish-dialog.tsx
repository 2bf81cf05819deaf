import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { isBlocking, type FlowProblem } from '../../../engine/flows/flow-problem.ts';
import type { z } from 'zod';
import type { TriggerOverlapDto } from '../../../api/dto/flow.dto.ts';
import { ApiError } from '../api/api-client.ts';
import type { FlowDetail, FlowSummary } from '../api/api-types.ts';
import type { DraftSaver } from '../canvas/use-draft-saver.ts';
import { useSession } from '../session/session-context.tsx';
import { ErrorAlert } from '../error-alert.tsx';

type TriggerOverlap = z.infer<typeof TriggerOverlapDto>;

/**
 * Publishing with a note. Refused here while the draft has problems (the API refuses too); the
 * draft is saved first and published at that exact revision, so a stale tab cannot publish.
 * Before publishing it says which other active flows answer the same messages and which one
 * wins, and lets the person change this flow's priority.
 */
export function PublishDialog({
  flow,
  problems,
  saver,
  onClose,
  onPriority,
  onPublished,
  onShowProblems,
}: {
  flow: FlowDetail;
  problems: readonly FlowProblem[];
  saver: DraftSaver;
  onClose: () => void;
  onPriority: (priority: number) => void;
  onPublished: (flow: FlowSummary, version: number, document: unknown) => void;
  onShowProblems: () => void;
}) {
  const id = useId();
  const { api } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [overlaps, setOverlaps] = useState<TriggerOverlap[] | null>(null);
  const [priority, setPriority] = useState(String(flow.priority ?? 0));
  const first = useRef<HTMLInputElement & HTMLButtonElement>(null);
  // Warnings are shown in the problems list; only blocking problems keep the flow from publishing.
  const blocking = problems.filter(isBlocking);

  const loadOverlaps = useCallback(async () => {
    try {
      await saver.flush();
      setOverlaps((await api.get<{ items: TriggerOverlap[] }>(`/flows/${flow.id}/trigger-overlaps`)).items);
    } catch {
      setOverlaps([]);
    }
  }, [api, flow.id, saver]);
  useEffect(() => {
    if (blocking.length === 0) void loadOverlaps();
    // Once per opening of the dialog.
  }, []);

  useEffect(() => {
    first.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);

  async function savePriority() {
    const value = Number(priority);
    if (!Number.isInteger(value) || value < -1000 || value > 1000) {
      setError('Priority is a whole number from -1000 to 1000.');
      return;
    }
    setError(null);
    try {
      await api.patch(`/flows/${flow.id}`, { priority: value });
      onPriority(value);
      await loadOverlaps();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  async function publish(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const note = String(new FormData(event.currentTarget).get('note') ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      await saver.flush();
      const answer = await api.post<{ flow: FlowDetail; version: { version: number } }>(`/flows/${flow.id}/publish`, { ...(note ? { note } : {}), baseRevision: saver.revision() });
      const published = await api.get<{ document: unknown }>(`/flows/${flow.id}/versions/${answer.version.version}`);
      onPublished(answer.flow, answer.version.version, published.document);
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'flow_invalid'
          ? 'The server found problems in the flow: fix them first.'
          : err instanceof ApiError && err.code === 'draft_conflict'
            ? 'The draft was changed in another tab: reload before publishing.'
            : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="dialog-backdrop">
      <div role="dialog" aria-modal="true" aria-labelledby={`${id}-title`} className="dialog card">
        <h2 id={`${id}-title`}>Publish this flow</h2>
        {blocking.length > 0 ? (
          <>
            <p role="alert" className="error">
              Publishing is refused while the flow has {blocking.length} {blocking.length === 1 ? 'problem' : 'problems'}.
            </p>
            <div className="row">
              <button type="button" ref={first} onClick={onShowProblems}>
                Show the problems
              </button>
              <button type="button" className="secondary" onClick={onClose}>
                Close
              </button>
            </div>
          </>
        ) : (
          <form onSubmit={(e) => void publish(e)}>
            {overlaps === null && <p className="muted">Checking other flows for the same triggers…</p>}
            {overlaps && overlaps.length > 0 && (
              <div className="overlap-warning" role="alert" aria-label="Other flows answer the same messages">
                <p>
                  <strong>Other active flows answer some of the same messages.</strong> Only one flow starts per message:
                </p>
                <ul>
                  {overlaps.map((o) => (
                    <li key={o.otherFlowId}>{o.message}</li>
                  ))}
                </ul>
                <p className="muted small">
                  Which flow starts: the higher priority first, then the more specific trigger (exact keyword, starts with, contains, pattern, condition, any message), then the flow published first.
                </p>
              </div>
            )}
            <div className="row priority-row">
              <label>
                Priority of this flow
                <input type="number" inputMode="numeric" min={-1000} max={1000} step={1} value={priority} onChange={(e) => setPriority(e.target.value)} />
              </label>
              <button type="button" className="secondary" onClick={() => void savePriority()} disabled={priority === String(flow.priority ?? 0)}>
                Save priority
              </button>
            </div>
            <label>
              Note for this version (optional)
              <input name="note" ref={first} maxLength={500} placeholder="What changed" />
            </label>
            <ErrorAlert message={error} />
            <div className="row">
              <button type="submit" disabled={busy}>
                Publish now
              </button>
              <button type="button" className="secondary" onClick={onClose}>
                Cancel
              </button>
            </div>
          </form>
        )}
      </div>
    </div>
  );
}
