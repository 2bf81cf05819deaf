import { useCallback, useEffect, useState } from 'react';
import type { Broadcast, Page } from '../api/api-types.ts';
import { ProgressBar, shortCounts, StateBadge } from '../broadcasts/broadcast-progress.tsx';
import { ErrorWithDetails, shownError, type ShownError } from '../broadcasts/error-with-details.tsx';
import { FINAL_BROADCAST_STATES } from '../../../engine/broadcasts/broadcast-state.ts';
import { useInterval } from '../panels/use-interval.ts';
import { useSession } from '../session/session-context.tsx';

/** Broadcasts per page of the list. */
const PAGE_SIZE = 50;
/** While any listed broadcast is on its way, the list is asked again this often. */
const LIST_POLL_MS = 3_000;

/** The workspace's broadcasts with their state, progress and counts; occurrences of a recurring one under it. */
export function BroadcastsPage() {
  const { api } = useSession();
  const [items, setItems] = useState<Broadcast[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<ShownError | null>(null);

  const load = useCallback(
    async (cursor: string | null) => {
      try {
        const page = await api.get<Page<Broadcast>>(`/broadcasts?limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        setItems((current) => (cursor ? [...(current ?? []), ...page.items] : page.items));
        setNextCursor(page.nextCursor);
      } catch (err) {
        setError(shownError(err));
      }
    },
    [api],
  );
  useEffect(() => {
    void load(null);
  }, [load]);
  const live = items?.some((b) => b.state !== 'draft' && !FINAL_BROADCAST_STATES.has(b.state)) ?? false;
  useInterval(() => load(null), LIST_POLL_MS, live);

  const names = new Map(items?.map((b) => [b.id, b.name]));
  return (
    <section aria-labelledby="broadcasts-title">
      <div className="toolbar">
        <h1 id="broadcasts-title">Broadcasts</h1>
        <a className="button" href="/broadcasts/new">
          New broadcast
        </a>
      </div>
      <ErrorWithDetails error={error} />
      {items === null ? (
        !error && <p>Loading…</p>
      ) : items.length === 0 ? (
        <p>No broadcasts yet: create one to message a segment of your contacts.</p>
      ) : (
        <table className="flows-table broadcasts-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">State</th>
              <th scope="col">Progress</th>
              <th scope="col">Counts</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {items.map((b) => (
              <tr key={b.id}>
                <td>
                  <a href={`/broadcasts/${b.id}`}>{b.name}</a>
                  {b.parentId && <div className="hint">occurrence of {names.get(b.parentId) ?? 'a recurring broadcast'}</div>}
                </td>
                <td>
                  <StateBadge state={b.state} reason={b.stateReason} />
                </td>
                <td>
                  <ProgressBar percent={b.stats.percentDone} label={`Progress of ${b.name}`} />
                </td>
                <td className="small">
                  {b.stats.total} recipients · {shortCounts(b.stats)}
                </td>
                <td className="small">{whenOf(b)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {nextCursor && (
        <button type="button" className="secondary" onClick={() => void load(nextCursor)}>
          Show more
        </button>
      )}
    </section>
  );
}

function whenOf(b: Broadcast): string {
  if (b.finishedAt) return `finished ${new Date(b.finishedAt).toLocaleString()}`;
  if (b.startedAt) return `started ${new Date(b.startedAt).toLocaleString()}`;
  if (b.nextRunAt) return `${b.schedule.kind === 'recurring' ? 'next' : 'starts'} ${new Date(b.nextRunAt).toLocaleString()}`;
  return b.schedule.kind === 'recurring' ? `recurring ${b.schedule.cron}` : '—';
}
