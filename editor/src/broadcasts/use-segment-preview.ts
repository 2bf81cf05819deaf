import { useEffect, useState } from 'react';
import type { SegmentPreview } from '../api/api-types.ts';
import { shownError, type ShownError } from './error-with-details.tsx';

/** How long the rule must stay unchanged before it is counted: one request per pause in typing. */
export const PREVIEW_DEBOUNCE_MS = 300;

export type FetchPreview = (rule: unknown, signal: AbortSignal) => Promise<SegmentPreview>;

export interface SegmentPreviewState {
  /** The latest count answered; kept while the next one is asked, so the number does not flicker. */
  preview: SegmentPreview | null;
  /** The rule the shown preview answers is no longer the rule in the form. */
  stale: boolean;
  error: ShownError | null;
}

/**
 * The audience of a segment rule, re-counted by the server PREVIEW_DEBOUNCE_MS after the rule
 * last changed. A request for an older rule is aborted, so an answer never replaces a newer one.
 */
export function useSegmentPreview(rule: unknown, enabled: boolean, fetchPreview: FetchPreview): SegmentPreviewState {
  const [state, setState] = useState<SegmentPreviewState>({ preview: null, stale: true, error: null });
  // The rule is a fresh object after every edit; its JSON says whether it really changed.
  const key = JSON.stringify(rule ?? null);
  useEffect(() => {
    if (!enabled) return;
    setState((s) => ({ ...s, stale: true }));
    const controller = new AbortController();
    const timer = setTimeout(() => {
      // An answer (or failure) that arrives after its rule changed is dropped, even if the request could not be aborted.
      fetchPreview(JSON.parse(key), controller.signal).then(
        (preview) => {
          if (!controller.signal.aborted) setState({ preview, stale: false, error: null });
        },
        (err: unknown) => {
          if (!controller.signal.aborted) setState((s) => ({ ...s, stale: false, error: shownError(err) }));
        },
      );
    }, PREVIEW_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [key, enabled, fetchPreview]);
  return state;
}
