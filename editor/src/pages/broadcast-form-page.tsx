import { useEffect, useState, type FormEvent } from 'react';
import type { Broadcast, Channel, FlowListItem, MeAnswer, Page } from '../api/api-types.ts';
import { AudienceField } from '../broadcasts/audience-field.tsx';
import { changedFields, checkDraft, draftOf, newDraft, toSpecInput, type BroadcastDraft } from '../broadcasts/broadcast-draft.ts';
import { ContentField } from '../broadcasts/content-field.tsx';
import { ErrorWithDetails, shownError, type ShownError } from '../broadcasts/error-with-details.tsx';
import { QuietHoursField, ScheduleField } from '../broadcasts/schedule-field.tsx';
import { MAX_PACE_PER_MINUTE } from '../../../engine/broadcasts/broadcast-spec.ts';
import { useSession } from '../session/session-context.tsx';
import { useNavigate } from 'react-router';

/** The browser's own zone, for a workspace whose zone the API did not say. */
const BROWSER_TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/**
 * A new broadcast, or an edit of one (`broadcastId`). A new one is saved as a draft, or saved and
 * scheduled at once. When scheduling is refused (an empty audience, a past time), the draft
 * already exists: fixing the form and submitting again updates that draft instead of creating a
 * second one. An edit sends only the fields changed (see `changedFields`).
 */
export function BroadcastFormPage({ broadcastId }: { broadcastId?: string }) {
  const { api } = useSession();
  const navigate = useNavigate();
  const [draft, setDraft] = useState<BroadcastDraft>(newDraft);
  /** The broadcast as loaded, when editing one. */
  const [original, setOriginal] = useState<Broadcast | null>(null);
  const [channels, setChannels] = useState<Channel[] | null>(null);
  const [flows, setFlows] = useState<FlowListItem[] | null>(null);
  const [workspaceZone, setWorkspaceZone] = useState<string>(BROWSER_TIME_ZONE);
  const [savedId, setSavedId] = useState<string | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.get<{ items: Channel[] }>('/channels').then(
      ({ items }) => {
        setChannels(items);
        setDraft((d) => (d.channelId || items.length === 0 ? d : { ...d, channelId: items[0]!.id }));
      },
      (err: unknown) => setError(shownError(err)),
    );
    api.get<Page<FlowListItem>>('/flows?limit=200').then(({ items }) => setFlows(items), (err: unknown) => setError(shownError(err)));
    api.get<MeAnswer>('/auth/me').then((me) => me.workspace.timezone && setWorkspaceZone(me.workspace.timezone), () => undefined);
  }, [api]);
  useEffect(() => {
    if (!broadcastId) return;
    api.get<Broadcast>(`/broadcasts/${broadcastId}`).then(
      (b) => {
        setOriginal(b);
        setDraft(draftOf(b));
        setSavedId(b.id);
      },
      (err: unknown) => setError(shownError(err)),
    );
  }, [api, broadcastId]);

  const update = (patch: Partial<BroadcastDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const channel = channels?.find((c) => c.id === draft.channelId);

  async function save(schedule: boolean) {
    const spec = toSpecInput(draft, workspaceZone);
    const problems = checkDraft(spec);
    if (problems.length > 0) return setError({ message: 'Some fields need fixing before the broadcast can be saved.', problems });
    setError(null);
    setBusy(true);
    try {
      const body = original ? changedFields(spec, original) : spec;
      let id = savedId;
      if (id === null) {
        id = (await api.post<Broadcast>('/broadcasts', body)).id;
        setSavedId(id);
      } else if (Object.keys(body).length > 0) await api.patch<Broadcast>(`/broadcasts/${id}`, body);
      if (schedule) await api.post<Broadcast>(`/broadcasts/${id}/schedule`);
      void navigate(`/broadcasts/${id}`);
    } catch (err) {
      setError(shownError(err));
    } finally {
      setBusy(false);
    }
  }

  if (broadcastId && !original) return error ? <ErrorWithDetails error={error} /> : <p>Loading…</p>;
  // A broadcast that is not a draft any more is only saved; scheduling is for drafts.
  const canSchedule = original === null || original.state === 'draft';
  return (
    <section aria-labelledby="broadcast-form-title" className="broadcast-form">
      <div className="toolbar">
        <a href={original ? `/broadcasts/${original.id}` : '/broadcasts'}>{original ? `← ${original.name}` : '← Broadcasts'}</a>
        <h1 id="broadcast-form-title">{original ? 'Edit broadcast' : 'New broadcast'}</h1>
      </div>
      {original?.startedAt && <p className="hint">It has started: only its name, pace and quiet hours can still change.</p>}
      {/* Enter in a field saves a draft: sending to a whole audience takes the explicit button. */}
      <form
        onSubmit={(e: FormEvent<HTMLFormElement>) => {
          e.preventDefault();
          void save(false);
        }}
        noValidate
      >
        <label className="field">
          Name
          <input value={draft.name} onChange={(e) => update({ name: e.target.value })} maxLength={200} required placeholder="Spring sale" />
        </label>
        <label className="field">
          Channel
          <select value={draft.channelId} onChange={(e) => update({ channelId: e.target.value })}>
            {channels?.length === 0 && <option value="">no channel yet: add one on the Channels page</option>}
            {channels?.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} ({c.kind}, {c.status})
              </option>
            ))}
          </select>
          {channel && channel.status !== 'connected' && <span className="hint">This channel is {channel.status}: a scheduled broadcast waits until it is connected.</span>}
        </label>
        <AudienceField value={draft} onChange={update} />
        <ContentField value={draft} flows={flows} onChange={update} />
        <ScheduleField value={draft} onChange={update} />
        <QuietHoursField value={draft} onChange={update} />
        <label className="field">
          Pace (messages per minute)
          <input type="number" min={1} max={MAX_PACE_PER_MINUTE} step={1} value={draft.pace} onChange={(e) => update({ pace: e.target.value })} placeholder="channel's own pace" />
          <span className="hint">Empty sends as fast as the channel allows; never faster than its own limits.</span>
        </label>
        <ErrorWithDetails error={error} />
        <div className="row">
          {canSchedule && (
            <button type="button" disabled={busy} onClick={() => void save(true)}>
              {draft.scheduleKind === 'now' ? 'Schedule and send now' : 'Schedule'}
            </button>
          )}
          <button type="submit" className={canSchedule ? 'secondary' : undefined} disabled={busy}>
            {!canSchedule ? 'Save changes' : savedId ? 'Save draft' : 'Save as draft'}
          </button>
        </div>
      </form>
    </section>
  );
}
