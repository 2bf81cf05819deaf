import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, type ApiClient } from '../api/api-client.ts';
import type { FlowDetail, FlowDocumentJson } from '../api/api-types.ts';

/** Quiet time after the last edit before the draft is saved. */
const AUTOSAVE_DELAY_MS = 700;

export type SaveStatus = 'saved' | 'unsaved' | 'saving' | 'conflict' | 'error';

export interface DraftSaver {
  status: SaveStatus;
  error: string | null;
  /** The draft revision the server has; publishing passes it so a stale tab cannot publish. */
  revision(): number;
  /** Saves now what `current()` returns (after any save in flight); resolves when the server has it. */
  flush(): Promise<void>;
}

/**
 * Autosave of the draft with the API's revision check: every save sends the revision it was
 * edited from, and a 409 `draft_conflict` (another tab or person saved in between) stops
 * autosaving instead of overwriting their work.
 */
export function useDraftSaver(api: ApiClient, flow: FlowDetail | null, editCount: number, current: () => FlowDocumentJson): DraftSaver {
  const [status, setStatus] = useState<SaveStatus>('saved');
  const [error, setError] = useState<string | null>(null);
  const revisionRef = useRef(0);
  const inFlight = useRef<Promise<void> | null>(null);
  const dirty = useRef(false);
  const conflicted = useRef(false);
  const currentRef = useRef(current);
  currentRef.current = current;

  // Only a fresh load sets the revision: later copies of the flow (after publishing) carry the
  // revision it was loaded at, while the saves since have moved it on.
  const loadedId = flow?.id;
  const loadedRevision = flow?.draftRevision;
  useEffect(() => {
    if (loadedRevision !== undefined) revisionRef.current = loadedRevision;
  }, [loadedId, loadedRevision]);

  const saveOnce = useCallback(async () => {
    if (!flow || conflicted.current) return;
    dirty.current = false;
    setStatus('saving');
    try {
      const saved = await api.patch<FlowDetail>(`/flows/${flow.id}`, { document: currentRef.current(), baseRevision: revisionRef.current });
      revisionRef.current = saved.draftRevision;
      setError(null);
      setStatus(dirty.current ? 'unsaved' : 'saved');
    } catch (err) {
      if (err instanceof ApiError && err.code === 'draft_conflict') {
        conflicted.current = true;
        setStatus('conflict');
        setError(
          'This flow was changed in another tab or by someone else since you opened it. Your latest changes here are not saved. Reload to get the newest version, then redo your changes.',
        );
      } else {
        dirty.current = true;
        setStatus('error');
        setError(`Could not save the draft: ${(err as Error).message}`);
      }
    }
  }, [api, flow]);

  const flush = useCallback(async () => {
    // Saves are serial: the next one must send the revision the previous one produced.
    while (inFlight.current) await inFlight.current;
    if (!dirty.current || conflicted.current) return;
    inFlight.current = saveOnce().finally(() => (inFlight.current = null));
    await inFlight.current;
  }, [saveOnce]);

  useEffect(() => {
    if (editCount === 0) return;
    dirty.current = true;
    if (!conflicted.current) setStatus('unsaved');
    const timer = setTimeout(() => void flush(), AUTOSAVE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [editCount, flush]);

  // Leaving the editor inside the app (back to the flows list) unmounts it before the autosave
  // timer fires: the pending edits are saved on the way out instead of being dropped.
  const flushRef = useRef(flush);
  flushRef.current = flush;
  useEffect(() => () => void flushRef.current(), []);

  useEffect(() => {
    const warn = (event: BeforeUnloadEvent) => {
      if (dirty.current && !conflicted.current) event.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, []);

  return { status, error, revision: () => revisionRef.current, flush };
}
