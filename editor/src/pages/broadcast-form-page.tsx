import { Button, Card, Group, NativeSelect, NumberInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import type { Broadcast } from '../api/api-types.ts';
import { broadcastKeys, useBroadcast } from '../api/queries/broadcasts.queries.ts';
import { useChannels } from '../api/queries/channels.queries.ts';
import { useFlows } from '../api/queries/flows.queries.ts';
import { useMe } from '../api/queries/session.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { AudienceField } from '../broadcasts/audience-field.tsx';
import { changedFields, checkDraft, draftOf, newDraft, toSpecInput, type BroadcastDraft } from '../broadcasts/broadcast-draft.ts';
import { ContentField } from '../broadcasts/content-field.tsx';
import { ErrorWithDetails, shownError, type ShownError } from '../broadcasts/error-with-details.tsx';
import { QuietHoursField, ScheduleField } from '../broadcasts/schedule-field.tsx';
import { MAX_PACE_PER_MINUTE } from '../../../engine/broadcasts/broadcast-spec.ts';
import { useSession } from '../session/session-context.tsx';
import { BackLink } from '../shell/back-link.tsx';

/** The browser's own zone, for a workspace whose zone the API did not say. */
const BROWSER_TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/**
 * A new broadcast, or an edit of one (`broadcastId`). A new one is saved as a draft, or saved and
 * scheduled at once. When scheduling is refused (an empty audience, a past time), the draft
 * already exists: fixing the form and submitting again updates that draft instead of creating a
 * second one. An edit sends only the fields changed (see `changedFields`).
 */
export function BroadcastFormPage({ broadcastId }: { broadcastId?: string }) {
  if (!broadcastId) return <BroadcastForm original={null} />;
  return <EditBroadcast broadcastId={broadcastId} />;
}

function EditBroadcast({ broadcastId }: { broadcastId: string }) {
  const broadcast = useBroadcast(broadcastId);
  return (
    <QueryState query={broadcast} label="the broadcast">
      {(b) => <BroadcastForm original={b} />}
    </QueryState>
  );
}

function BroadcastForm({ original }: { original: Broadcast | null }) {
  const { api } = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const channels = useChannels().data ?? null;
  const flows = useFlows().data ?? null;
  const workspaceZone = useMe().data?.workspace.timezone ?? BROWSER_TIME_ZONE;
  const [draft, setDraft] = useState<BroadcastDraft>(() => (original ? draftOf(original) : newDraft()));
  const [savedId, setSavedId] = useState<string | null>(original?.id ?? null);
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);

  // A new broadcast goes to the first channel until another is chosen.
  useEffect(() => {
    if (channels && channels.length > 0) setDraft((d) => (d.channelId ? d : { ...d, channelId: channels[0]!.id }));
  }, [channels]);

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
      await queryClient.invalidateQueries({ queryKey: broadcastKeys.all });
      void navigate(`/broadcasts/${id}`);
    } catch (err) {
      setError(shownError(err));
    } finally {
      setBusy(false);
    }
  }

  // A broadcast that is not a draft any more is only saved; scheduling is for drafts.
  const canSchedule = original === null || original.state === 'draft';
  return (
    <Stack gap="md" maw={860} component="section" aria-labelledby="broadcast-form-title">
      <BackLink to={original ? `/broadcasts/${original.id}` : '/broadcasts'}>{original ? original.name : 'Broadcasts'}</BackLink>
      <Title order={1} size="h2" id="broadcast-form-title">
        {original ? 'Edit broadcast' : 'New broadcast'}
      </Title>
      {original?.startedAt && <Text c="dimmed">It has started: only its name, pace and quiet hours can still change.</Text>}
      {/* Enter in a field saves a draft: sending to a whole audience takes the explicit button. */}
      <form
        onSubmit={(e: FormEvent<HTMLFormElement>) => {
          e.preventDefault();
          void save(false);
        }}
        noValidate
        className="broadcast-form"
      >
        <Stack gap="md">
          <Card withBorder>
            <Stack gap="sm">
              <TextInput
                label="Name"
                value={draft.name}
                onChange={(e) => update({ name: e.currentTarget.value })}
                maxLength={200}
                required
                placeholder="Spring sale"
              />
              <NativeSelect
                label="Channel"
                value={draft.channelId}
                onChange={(e) => update({ channelId: e.currentTarget.value })}
                data={
                  channels?.length === 0
                    ? [{ value: '', label: 'no channel yet: add one on the Channels page' }]
                    : (channels ?? []).map((c) => ({ value: c.id, label: `${c.name} (${c.kind}, ${c.status})` }))
                }
                description={
                  channel && channel.status !== 'connected'
                    ? `This channel is ${channel.status}: a scheduled broadcast waits until it is connected.`
                    : undefined
                }
              />
            </Stack>
          </Card>
          <Card withBorder>
            <AudienceField value={draft} onChange={update} />
          </Card>
          <Card withBorder>
            <ContentField value={draft} flows={flows} onChange={update} />
          </Card>
          <Card withBorder>
            <Stack gap="sm">
              <ScheduleField value={draft} onChange={update} />
              <QuietHoursField value={draft} onChange={update} />
              <NumberInput
                label="Pace (messages per minute)"
                min={1}
                max={MAX_PACE_PER_MINUTE}
                step={1}
                allowDecimal={false}
                value={draft.pace}
                onChange={(v) => update({ pace: String(v) })}
                placeholder="channel's own pace"
                description="Empty sends as fast as the channel allows; never faster than its own limits."
                w={320}
              />
            </Stack>
          </Card>
          <ErrorWithDetails error={error} />
          <Group>
            {canSchedule && (
              <Button type="button" loading={busy} onClick={() => void save(true)}>
                {draft.scheduleKind === 'now' ? 'Schedule and send now' : 'Schedule'}
              </Button>
            )}
            <Button type="submit" variant={canSchedule ? 'default' : 'filled'} disabled={busy}>
              {!canSchedule ? 'Save changes' : savedId ? 'Save draft' : 'Save as draft'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
