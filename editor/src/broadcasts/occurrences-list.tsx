import { useCallback, useEffect, useState } from 'react';
import type { Broadcast } from '../api/api-types.ts';
import { useInterval } from '../panels/use-interval.ts';
import { useSession } from '../session/session-context.tsx';
import { ProgressBar, shortCounts, StateBadge } from './broadcast-progress.tsx';
import { ErrorWithDetails, shownError, type ShownError } from './error-with-details.tsx';

/** Occurrences shown, newest first. */
const OCCURRENCES_SHOWN = 20;
/** A recurring broadcast's next occurrence may start at any time: its list is asked again this often. */
const OCCURRENCES_POLL_MS = 10_000;

/** The occurrences of a recurring broadcast, newest first, each with its state and progress. */
export function OccurrencesList({ parentId }: { parentId: string }) {
  const { api } = useSession();
  const [items, setItems] = useState<Broadcast[] | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const load = useCallback(async () => {
    try {
      setItems((await api.get<{ items: Broadcast[] }>(`/broadcasts?parentId=${parentId}&limit=${OCCURRENCES_SHOWN}`)).items);
    } catch (err) {
      setError(shownError(err));
    }
  }, [api, parentId]);
  useEffect(() => {
    void load();
  }, [load]);
  useInterval(load, OCCURRENCES_POLL_MS, true);
  return (
    <section aria-labelledby="occurrences-title">
      <h2 id="occurrences-title">Occurrences</h2>
      <ErrorWithDetails error={error} />
      {items && items.length === 0 && <p className="hint">None yet: the first one starts at the next time of its schedule.</p>}
      {items && items.length > 0 && (
        <ul className="occurrences">
          {items.map((o) => (
            <li key={o.id}>
              <a href={`/broadcasts/${o.id}`}>{o.name}</a> <StateBadge state={o.state} reason={o.stateReason} />
              <ProgressBar percent={o.stats.percentDone} label={`Progress of ${o.name}`} />
              <span className="hint">{shortCounts(o.stats)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
