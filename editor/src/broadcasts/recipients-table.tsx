import { useCallback, useEffect, useRef, useState } from 'react';
import type { BroadcastRecipient, Page } from '../api/api-types.ts';
import { RECIPIENT_STATUSES, type RecipientStatus } from '../../../engine/broadcasts/broadcast-state.ts';
import { useSession } from '../session/session-context.tsx';
import { SKIP_REASON_LABELS } from './broadcast-progress.tsx';
import { ErrorWithDetails, shownError, type ShownError } from './error-with-details.tsx';

/** Recipients per page of the table. */
const PAGE_SIZE = 50;

/**
 * The broadcast's recipients, filterable by status. `version` changes when the broadcast's counts
 * do: the first page is then asked again (the pages loaded with "Show more" are dropped).
 */
export function RecipientsTable({ broadcastId, version }: { broadcastId: string; version: string }) {
  const { api } = useSession();
  const [status, setStatus] = useState<RecipientStatus | ''>('');
  const [rows, setRows] = useState<BroadcastRecipient[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  // Counts change every second while it runs: an answer to an older request must not replace a newer one.
  const latestRequest = useRef(0);

  const load = useCallback(
    async (cursor: string | null) => {
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (status) query.set('status', status);
      if (cursor) query.set('cursor', cursor);
      const request = ++latestRequest.current;
      try {
        const page = await api.get<Page<BroadcastRecipient>>(`/broadcasts/${broadcastId}/recipients?${query}`);
        if (request !== latestRequest.current) return;
        setRows((current) => (cursor ? [...(current ?? []), ...page.items] : page.items));
        setNextCursor(page.nextCursor);
        setError(null);
      } catch (err) {
        if (request === latestRequest.current) setError(shownError(err));
      }
    },
    [api, broadcastId, status],
  );
  useEffect(() => {
    void load(null);
  }, [load, version]);

  return (
    <section aria-labelledby="recipients-title">
      <div className="row">
        <h2 id="recipients-title">Recipients</h2>
        <label className="inline">
          Status
          <select aria-label="Show recipients by status" value={status} onChange={(e) => setStatus(e.target.value as RecipientStatus | '')}>
            <option value="">all</option>
            {RECIPIENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorWithDetails error={error} />
      {rows?.length === 0 && <p className="muted">{status ? `No recipient is ${status}.` : 'No recipients yet: they are chosen when the broadcast starts.'}</p>}
      {rows && rows.length > 0 && (
        <table className="flows-table recipients-table">
          <thead>
            <tr>
              <th scope="col">Contact</th>
              <th scope="col">Phone</th>
              <th scope="col">Status</th>
              <th scope="col">Reason</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td>{r.contact.name ?? <span className="muted">unnamed</span>}</td>
                <td>{r.contact.phone ?? ''}</td>
                <td>
                  <span className={`recipient-status status-${r.status}`}>{r.status}</span>
                </td>
                <td>{r.skipReason ? SKIP_REASON_LABELS[r.skipReason] : (r.failureReason ?? '')}</td>
                <td>{new Date(r.updatedAt).toLocaleTimeString()}</td>
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
