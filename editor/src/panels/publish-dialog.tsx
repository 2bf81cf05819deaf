import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { isBlocking, type FlowProblem } from '../../../engine/flows/flow-problem.ts';
import { ApiError } from '../api/api-client.ts';
import type { FlowSummary } from '../api/api-types.ts';
import type { DraftSaver } from '../canvas/use-draft-saver.ts';
import { useSession } from '../session/session-context.tsx';
import { ErrorAlert } from '../error-alert.tsx';

/**
 * Publishing with a note. Refused here while the draft has problems (the API refuses too); the
 * draft is saved first and published at that exact revision, so a stale tab cannot publish.
 */
export function PublishDialog({
  flowId,
  problems,
  saver,
  onClose,
  onPublished,
  onShowProblems,
}: {
  flowId: string;
  problems: readonly FlowProblem[];
  saver: DraftSaver;
  onClose: () => void;
  onPublished: (flow: FlowSummary, version: number) => void;
  onShowProblems: () => void;
}) {
  const id = useId();
  const { api } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement & HTMLButtonElement>(null);
  // Warnings are shown in the problems list; only blocking problems keep the flow from publishing.
  const blocking = problems.filter(isBlocking);
  useEffect(() => {
    first.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);

  async function publish(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const note = String(new FormData(event.currentTarget).get('note') ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      await saver.flush();
      const answer = await api.post<{ flow: FlowSummary; version: { version: number } }>(`/flows/${flowId}/publish`, { ...(note ? { note } : {}), baseRevision: saver.revision() });
      onPublished(answer.flow, answer.version.version);
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
