import { Anchor, Table } from '@mantine/core';
import { Link } from 'react-router';
import type { Broadcast } from '../api/api-types.ts';
import { useTemplates } from '../api/queries/templates.queries.ts';
import { describeCondition } from '../forms/condition-model.ts';
import { segmentFieldOf } from '../forms/segment-fields.ts';

/** A segment field's label in a sentence: "Tags", "the attribute plan". */
function segmentLabel(path: string): string {
  const known = segmentFieldOf(path);
  if (!known) return path;
  return known.attribute === null ? known.field.label : `the attribute “${known.attribute}”`;
}

/** Who a segment reaches, in words; the rule itself only when the builder cannot read it. */
function segmentWords(rule: unknown): string {
  const words = describeCondition(rule, segmentLabel);
  return words === null
    ? `contacts matching an advanced rule ${JSON.stringify(rule)}`
    : words === 'always'
      ? 'every contact'
      : `contacts where ${words}`;
}

/** A broadcast's audience, content and schedule in words, for the detail page. */
export function describeBroadcast(
  b: Pick<Broadcast, 'audience' | 'content' | 'schedule' | 'quietHours' | 'pacePerMinute'> & {
    templateVersion?: Broadcast['templateVersion'];
  },
  templateName?: string,
): { term: string; value: string }[] {
  const audience =
    b.audience.kind === 'segment'
      ? segmentWords(b.audience.rule)
      : b.audience.kind === 'phones'
        ? `${b.audience.phones.length.toLocaleString()} pasted phone number${b.audience.phones.length === 1 ? '' : 's'}`
        : 'phones of a CSV file';
  const template = `template “${templateName ?? 'a deleted template'}”`;
  const content =
    b.content.kind === 'message'
      ? `message “${b.content.text}”${b.content.mediaUrl ? ` with media ${b.content.mediaUrl}` : ''}`
      : b.content.kind === 'template'
        ? b.templateVersion
          ? `${template}, version ${b.templateVersion.version} (current when it started), in each contact's language`
          : `${template}, as it is when the broadcast starts, in each contact's language`
        : `flow ${b.content.flowId}`;
  const schedule =
    b.schedule.kind === 'now'
      ? 'as soon as scheduled'
      : b.schedule.kind === 'at'
        ? `at ${b.schedule.localTime.replace('T', ' ')} (${b.schedule.timezone})`
        : `recurring “${b.schedule.cron}” (${b.schedule.timezone})`;
  return [
    { term: 'Audience', value: audience },
    { term: 'Content', value: content },
    { term: 'Schedule', value: schedule },
    {
      term: 'Quiet hours',
      value: b.quietHours
        ? `${b.quietHours.start} to ${b.quietHours.end}, ${b.quietHours.timezone === 'contact' ? "each contact's clock" : "the workspace's clock"}`
        : 'none',
    },
    { term: 'Pace', value: b.pacePerMinute === null ? "the channel's own" : `${b.pacePerMinute} per minute` },
  ];
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** What the broadcast sends to whom and when, and its times so far. */
export function BroadcastSummary({ broadcast }: { broadcast: Broadcast }) {
  const templates = useTemplates(broadcast.content.kind === 'template');
  const templateId = broadcast.content.kind === 'template' ? broadcast.content.templateId : null;
  const templateName = templates.data?.items.find((t) => t.id === templateId)?.name;
  const rows = [
    ...describeBroadcast(broadcast, templates.isLoading ? '…' : templateName).map((d) => ({ term: d.term, value: <>{d.value}</> })),
    ...(broadcast.parentId
      ? [
          {
            term: 'Occurrence of',
            value: (
              <Anchor component={Link} to={`/broadcasts/${broadcast.parentId}`}>
                the recurring broadcast
              </Anchor>
            ),
          },
        ]
      : []),
    { term: 'Next run', value: <>{when(broadcast.nextRunAt)}</> },
    { term: 'Started', value: <>{when(broadcast.startedAt)}</> },
    { term: 'Finished', value: <>{when(broadcast.finishedAt)}</> },
  ];
  return (
    <Table variant="vertical" layout="fixed" withTableBorder aria-label="Settings and times">
      <Table.Tbody>
        {rows.map((r) => (
          <Table.Tr key={r.term}>
            <Table.Th w={160}>{r.term}</Table.Th>
            <Table.Td style={{ overflowWrap: 'anywhere' }}>{r.value}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
