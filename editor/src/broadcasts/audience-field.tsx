import { Button, Fieldset, Group, Radio, Stack, Text, Textarea } from '@mantine/core';
import { useCallback, type ChangeEvent } from 'react';
import type { SegmentPreview } from '../api/api-types.ts';
import { ConditionBuilder } from '../forms/condition-builder.tsx';
import { SEGMENT_VARIABLES } from '../forms/template-variables.ts';
import { useSession } from '../session/session-context.tsx';
import { audiencePhones } from '../../../engine/broadcasts/audience-phones.ts';
import { splitPhoneList, type BroadcastDraft } from './broadcast-draft.ts';
import { ErrorWithDetails } from './error-with-details.tsx';
import { useSegmentPreview } from './use-segment-preview.ts';

/** How many of the preview's sample contacts, or of a list's phones, are shown under the count. */
const SAMPLE_SHOWN = 5;

const KINDS = [
  { kind: 'segment', label: 'Segment of contacts' },
  { kind: 'phones', label: 'Pasted phones' },
  { kind: 'csv', label: 'CSV file' },
] as const;

type AudienceFields = Pick<BroadcastDraft, 'audienceKind' | 'rule' | 'phonesText' | 'csv' | 'csvFileName'>;

/** Who receives the broadcast: a segment rule with its live count, a pasted list, or a CSV file. */
export function AudienceField({ value, onChange }: { value: AudienceFields; onChange: (patch: Partial<AudienceFields>) => void }) {
  const { api } = useSession();
  const fetchPreview = useCallback(
    (rule: unknown, signal: AbortSignal) => api.post<SegmentPreview>('/segments/preview', { rule }, signal),
    [api],
  );
  const segment = useSegmentPreview(value.rule, value.audienceKind === 'segment', fetchPreview);

  async function readCsv(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file) onChange({ csv: await file.text(), csvFileName: file.name });
  }

  return (
    <Fieldset legend="Audience" variant="unstyled" styles={{ legend: { fontWeight: 700, marginBottom: 4 } }}>
      <Stack gap="sm">
        <Radio.Group
          value={value.audienceKind}
          onChange={(kind) => onChange({ audienceKind: kind as AudienceFields['audienceKind'] })}
          aria-label="Audience kind"
        >
          <Group gap="lg">
            {KINDS.map((k) => (
              <Radio key={k.kind} value={k.kind} label={k.label} />
            ))}
          </Group>
        </Radio.Group>
        {value.audienceKind === 'segment' && (
          <>
            <Text size="sm" c="dimmed">
              Contacts who match these conditions. Opted-out, restricted and erased contacts are always left out.
            </Text>
            <ConditionBuilder
              label="Segment rule"
              value={value.rule}
              variables={SEGMENT_VARIABLES}
              fields="segment"
              onChange={(rule) => onChange({ rule })}
            />
            <ErrorWithDetails error={segment.error} />
            <SegmentCount preview={segment.error ? null : segment.preview} stale={segment.stale} />
          </>
        )}
        {value.audienceKind === 'phones' && (
          <>
            <Textarea
              label="Phones (one per line, with country code)"
              autosize
              minRows={5}
              maxRows={15}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              value={value.phonesText}
              onChange={(e) => onChange({ phonesText: e.currentTarget.value })}
              placeholder={'+15551234567\n+4915112345678'}
            />
            <PhonesCount preview={audiencePhones({ kind: 'phones', phones: splitPhoneList(value.phonesText) })} />
          </>
        )}
        {value.audienceKind === 'csv' && (
          <>
            {/* A label around the file input: the button opens the file picker, and names the input for assistive technology. */}
            <Button component="label" variant="default" style={{ alignSelf: 'flex-start' }}>
              Upload CSV
              <input type="file" accept=".csv,text/csv" className="visually-hidden" onChange={(e) => void readCsv(e)} />
            </Button>
            <Text size="sm" c="dimmed">
              The column headed “phone” is used, or the first column; numbers in international form (+15551234567).
              {value.csvFileName ? ` File: ${value.csvFileName}.` : ''}
            </Text>
            {value.csv && <PhonesCount preview={audiencePhones({ kind: 'csv', csv: value.csv })} />}
          </>
        )}
      </Stack>
    </Fieldset>
  );
}

/** The segment's live count, what of it cannot be messaged, and a few of its contacts. */
export function SegmentCount({ preview, stale }: { preview: SegmentPreview | null; stale: boolean }) {
  if (!preview)
    return (
      <p className="hint" aria-live="polite">
        {stale ? 'Counting the audience…' : ''}
      </p>
    );
  const { opted_out, restricted, erased } = preview.excluded;
  const reachable = Math.max(0, preview.count - opted_out - restricted - erased);
  return (
    <div className="audience-count" aria-live="polite" data-stale={stale}>
      <p>
        <strong data-testid="audience-count">{preview.count}</strong> {preview.count === 1 ? 'contact matches' : 'contacts match'};{' '}
        <strong>{reachable}</strong> can be messaged
        {stale && <span className="muted"> (updating…)</span>}
      </p>
      <p className="hint" data-testid="audience-excluded">
        Excluded: {opted_out} opted out, {restricted} restricted, {erased} erased
      </p>
      {preview.sample.length > 0 && (
        <ul className="sample" aria-label="Sample contacts">
          {preview.sample.slice(0, SAMPLE_SHOWN).map((c) => (
            <li key={c.id}>
              {c.name ?? 'unnamed'} <span className="muted">{c.phone ?? 'no phone'}</span>
              {c.tags.length > 0 && <span className="muted"> · {c.tags.join(', ')}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * The count of an explicit audience and its first phones, as the server will read them (the
 * engine's own parser: normalised, without repeats), and the entries that are not phones.
 */
export function PhonesCount({ preview }: { preview: ReturnType<typeof audiencePhones> }) {
  return (
    <div className="audience-count" aria-live="polite">
      <p>
        <strong data-testid="audience-count">{preview.phones.length}</strong> {preview.phones.length === 1 ? 'phone' : 'phones'}
      </p>
      {preview.phones.length > 0 && (
        <p className="hint">
          {preview.phones.slice(0, SAMPLE_SHOWN).join(', ')}
          {preview.phones.length > SAMPLE_SHOWN ? ', …' : ''}
        </p>
      )}
      {preview.problems.length > 0 && (
        <ul className="problems" aria-label="Entries that are not phones">
          {preview.problems.map((p, i) => (
            <li key={i}>{p.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
