import type { Broadcast } from '../api/api-types.ts';

/** A broadcast's audience, content and schedule in words, for the detail page. */
export function describeBroadcast(b: Pick<Broadcast, 'audience' | 'content' | 'schedule' | 'quietHours' | 'pacePerMinute'>): { term: string; value: string }[] {
  const audience =
    b.audience.kind === 'segment' ? `segment ${JSON.stringify(b.audience.rule)}` : b.audience.kind === 'phones' ? `${b.audience.phones.length} pasted phones` : 'phones of a CSV file';
  const content = b.content.kind === 'message' ? `message “${b.content.text}”${b.content.mediaUrl ? ` with media ${b.content.mediaUrl}` : ''}` : `flow ${b.content.flowId}`;
  const schedule =
    b.schedule.kind === 'now' ? 'as soon as scheduled' : b.schedule.kind === 'at' ? `at ${b.schedule.localTime.replace('T', ' ')} (${b.schedule.timezone})` : `recurring “${b.schedule.cron}” (${b.schedule.timezone})`;
  return [
    { term: 'Audience', value: audience },
    { term: 'Content', value: content },
    { term: 'Schedule', value: schedule },
    { term: 'Quiet hours', value: b.quietHours ? `${b.quietHours.start} to ${b.quietHours.end}, ${b.quietHours.timezone === 'contact' ? "each contact's clock" : "the workspace's clock"}` : 'none' },
    { term: 'Pace', value: b.pacePerMinute === null ? "the channel's own" : `${b.pacePerMinute} per minute` },
  ];
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** What the broadcast sends to whom and when, and its times so far. */
export function BroadcastSummary({ broadcast }: { broadcast: Broadcast }) {
  return (
    <details className="broadcast-summary">
      <summary>Settings and times</summary>
      <dl>
        {describeBroadcast(broadcast).map((d) => (
          <div key={d.term}>
            <dt>{d.term}</dt>
            <dd>{d.value}</dd>
          </div>
        ))}
        {broadcast.parentId && (
          <div>
            <dt>Occurrence of</dt>
            <dd>
              <a href={`/broadcasts/${broadcast.parentId}`}>the recurring broadcast</a>
            </dd>
          </div>
        )}
        <div>
          <dt>Next run</dt>
          <dd>{when(broadcast.nextRunAt)}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{when(broadcast.startedAt)}</dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>{when(broadcast.finishedAt)}</dd>
        </div>
      </dl>
    </details>
  );
}
