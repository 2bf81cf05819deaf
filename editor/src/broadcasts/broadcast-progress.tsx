import type { Broadcast, BroadcastStats } from '../api/api-types.ts';
import { RECIPIENT_STATUSES, SKIP_REASONS, type SkipReason } from '../../../engine/broadcasts/broadcast-state.ts';

/** The reasons a recipient is skipped, in words. */
export const SKIP_REASON_LABELS: Record<SkipReason, string> = {
  opted_out: 'opted out',
  restricted: 'restricted',
  erased: 'erased',
  cancelled: 'cancelled before sending',
  flow_inactive: 'flow inactive',
};

/** The state, with its reason when it has one ("scheduled: channel not connected"). */
export function StateBadge({ state, reason }: { state: Broadcast['state']; reason: string | null }) {
  return (
    <span className={`state-badge state-${state}`} data-state={state}>
      {state}
      {reason && <span className="state-reason">: {reason.replaceAll('_', ' ')}</span>}
    </span>
  );
}

/** Percent done as a bar with its number; a percentage is rounded down so 100% means all done. */
export function ProgressBar({ percent, label }: { percent: number; label: string }) {
  const shown = Math.floor(Math.min(100, Math.max(0, percent)));
  return (
    <div className="progress">
      <div className="progress-track" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={shown}>
        <div className="progress-fill" style={{ width: `${shown}%` }} />
      </div>
      <span className="progress-value">{shown}%</span>
    </div>
  );
}

/** One count per recipient status, all shown even at 0 so the numbers do not jump around. */
export function StatusCounts({ stats }: { stats: BroadcastStats }) {
  return (
    <dl className="status-counts" aria-label="Recipients by status">
      <div>
        <dt>total</dt>
        <dd data-status="total">{stats.total}</dd>
      </div>
      {RECIPIENT_STATUSES.map((status) => (
        <div key={status} className={`count-${status}`}>
          <dt>{status}</dt>
          <dd data-status={status}>{stats.byStatus[status] ?? 0}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Why recipients were skipped, and who opted out after receiving it; nothing when there is neither. */
export function SkippedCounts({ stats }: { stats: BroadcastStats }) {
  const reasons = SKIP_REASONS.filter((r) => (stats.skippedByReason[r] ?? 0) > 0);
  return (
    <p className="hint" data-testid="skipped-counts">
      {reasons.length === 0 ? 'None skipped' : `Skipped: ${reasons.map((r) => `${stats.skippedByReason[r]} ${SKIP_REASON_LABELS[r]}`).join(', ')}`}
      {' · '}
      {stats.optedOutAfter} opted out after receiving it
    </p>
  );
}

/** A short "1,234 of 5,000 delivered" style summary for the list. */
export function shortCounts(stats: BroadcastStats): string {
  const n = (status: (typeof RECIPIENT_STATUSES)[number]) => stats.byStatus[status] ?? 0;
  return `${n('sent') + n('delivered') + n('read')} sent · ${n('delivered') + n('read')} delivered · ${n('read')} read · ${n('failed')} failed · ${n('skipped')} skipped`;
}
