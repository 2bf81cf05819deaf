import { useCallback, useEffect, useState } from 'react';
import type { Broadcast, BroadcastTimeline } from '../api/api-types.ts';
import { LIVE_POLL_MS, pollIntervalMs } from '../broadcasts/broadcast-polling.ts';
import { ProgressBar, shortCounts, SkippedCounts, StateBadge, StatusCounts } from '../broadcasts/broadcast-progress.tsx';
import { BroadcastSummary } from '../broadcasts/broadcast-summary.tsx';
import { DeliveryChart } from '../broadcasts/delivery-chart.tsx';
import { ErrorWithDetails, shownError, type ShownError } from '../broadcasts/error-with-details.tsx';
import { OccurrencesList } from '../broadcasts/occurrences-list.tsx';
import { RecipientsTable } from '../broadcasts/recipients-table.tsx';
import { canApply, type BroadcastAction } from '../../../engine/broadcasts/broadcast-state.ts';
import { useInterval } from '../panels/use-interval.ts';
import { useSession } from '../session/session-context.tsx';
import { useNavigate } from 'react-router';

/** How often the delivery chart is redrawn while the broadcast is live (its query reads every message). */
const TIMELINE_POLL_MS = 5_000;

/** The buttons of the life-cycle actions, in the order shown. */
const ACTIONS: { action: Exclude<BroadcastAction, 'edit'>; label: string; danger?: boolean }[] = [
  { action: 'schedule', label: 'Schedule' },
  { action: 'pause', label: 'Pause' },
  { action: 'resume', label: 'Resume' },
  { action: 'cancel', label: 'Cancel broadcast', danger: true },
];

/**
 * One broadcast, live: its state, progress and counts are asked again every second while it is
 * scheduled, running or paused (see `pollIntervalMs`); the chart and the recipients follow the counts.
 */
export function BroadcastDetailPage({ broadcastId }: { broadcastId: string }) {
  const { api } = useSession();
  const navigate = useNavigate();
  const [broadcast, setBroadcast] = useState<Broadcast | null>(null);
  const [timeline, setTimeline] = useState<BroadcastTimeline | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setBroadcast(await api.get<Broadcast>(`/broadcasts/${broadcastId}`));
    } catch (err) {
      setError(shownError(err));
    }
  }, [api, broadcastId]);
  useEffect(() => {
    void load();
  }, [load]);
  const interval = broadcast ? pollIntervalMs(broadcast, Date.now()) : null;
  useInterval(load, interval ?? 0, interval !== null);

  // The recipients are asked again only when the counts moved, not on every poll.
  const version = broadcast ? `${broadcast.state}:${JSON.stringify(broadcast.stats.byStatus)}` : '';
  // The chart groups every message of the broadcast: asked when the state changes and every few seconds while it lives.
  const loadTimeline = useCallback(async () => {
    try {
      setTimeline(await api.get<BroadcastTimeline>(`/broadcasts/${broadcastId}/timeline`));
    } catch (err) {
      setError(shownError(err));
    }
  }, [api, broadcastId]);
  const state = broadcast?.state;
  useEffect(() => {
    if (state) void loadTimeline();
  }, [loadTimeline, state]);
  useInterval(loadTimeline, TIMELINE_POLL_MS, interval !== null);

  async function apply(action: Exclude<BroadcastAction, 'edit'>) {
    if (action === 'cancel' && !window.confirm('Cancel this broadcast? Recipients not reached yet will not get it.')) return;
    setBusy(true);
    setError(null);
    try {
      setBroadcast(await api.post<Broadcast>(`/broadcasts/${broadcastId}/${action}`));
    } catch (err) {
      setError(shownError(err));
      await load();
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    if (!window.confirm('Delete this draft?')) return;
    try {
      await api.delete(`/broadcasts/${broadcastId}`);
      void navigate('/broadcasts');
    } catch (err) {
      setError(shownError(err));
    }
  }

  return (
    <section aria-labelledby="broadcast-title" className="broadcast-detail">
      <div className="toolbar">
        <a href="/broadcasts">← Broadcasts</a>
        <h1 id="broadcast-title">{broadcast?.name ?? 'Broadcast'}</h1>
        {broadcast && <StateBadge state={broadcast.state} reason={broadcast.stateReason} />}
        {broadcast && (
          <div className="row">
            {ACTIONS.filter((a) => a.action !== 'schedule' || broadcast.state === 'draft').map((a) => (
              <button key={a.action} type="button" className={a.danger ? 'danger' : a.action === 'schedule' ? undefined : 'secondary'} disabled={busy || !canApply(a.action, broadcast.state)} onClick={() => void apply(a.action)}>
                {a.label}
              </button>
            ))}
            {canApply('edit', broadcast.state) && (
              <a className="button secondary" href={`/broadcasts/${broadcastId}/edit`}>
                Edit
              </a>
            )}
            {broadcast.state === 'draft' && (
              <button type="button" className="danger" onClick={() => void remove()}>
                Delete draft
              </button>
            )}
            <button type="button" className="secondary" onClick={() => void load()}>
              Refresh
            </button>
          </div>
        )}
      </div>
      <ErrorWithDetails error={error} />
      {!broadcast ? (
        !error && <p>Loading…</p>
      ) : (
        <>
          <div className="card broadcast-live">
            <ProgressBar percent={broadcast.stats.percentDone} label="Progress" />
            <p className="hint">
              {shortCounts(broadcast.stats)}
              {broadcast.stats.estimatedFinishAt && <> · estimated finish {new Date(broadcast.stats.estimatedFinishAt).toLocaleString()}</>}
              {interval !== null && <span className="muted"> · {interval === LIVE_POLL_MS ? 'updating live' : 'collecting the last delivery and read reports'}</span>}
            </p>
            <StatusCounts stats={broadcast.stats} />
            <SkippedCounts stats={broadcast.stats} />
          </div>
          <BroadcastSummary broadcast={broadcast} />
          <section aria-labelledby="chart-title">
            <h2 id="chart-title">Delivery and reads over time</h2>
            <DeliveryChart timeline={timeline} />
          </section>
          {broadcast.schedule.kind === 'recurring' && broadcast.parentId === null ? <OccurrencesList parentId={broadcastId} /> : <RecipientsTable broadcastId={broadcastId} version={version} />}
        </>
      )}
    </section>
  );
}
