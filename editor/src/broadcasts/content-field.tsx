import { Fieldset, Group, NativeSelect, Radio, Stack, TextInput } from '@mantine/core';
import type { FlowListItem } from '../api/api-types.ts';
import { TemplateField } from '../forms/template-field.tsx';
import type { BroadcastDraft } from './broadcast-draft.ts';

type ContentFields = Pick<BroadcastDraft, 'contentKind' | 'text' | 'mediaUrl' | 'flowId'>;

/** What each recipient gets: a message from a template (media optional), or a run of a published flow. */
export function ContentField({ value, flows, onChange }: { value: ContentFields; flows: FlowListItem[] | null; onChange: (patch: Partial<ContentFields>) => void }) {
  const published = flows?.filter((f) => f.publishedVersion !== null) ?? [];
  return (
    <Fieldset legend="Content" variant="unstyled" styles={{ legend: { fontWeight: 700, marginBottom: 4 } }}>
      <Stack gap="sm">
        <Radio.Group value={value.contentKind} onChange={(kind) => onChange({ contentKind: kind as ContentFields['contentKind'] })} aria-label="Content kind">
          <Group gap="lg">
            <Radio value="message" label="Message" />
            <Radio value="flow" label="Start a flow" />
          </Group>
        </Radio.Group>
        {value.contentKind === 'message' ? (
          <>
            <TemplateField label="Message text" value={value.text} onChange={(text) => onChange({ text })} multiline required />
            <TextInput type="url" label="Media URL (optional)" value={value.mediaUrl} onChange={(e) => onChange({ mediaUrl: e.currentTarget.value })} placeholder="https://example.com/offer.jpg" />
          </>
        ) : (
          <NativeSelect
            label="Flow"
            value={value.flowId}
            description={flows !== null && published.length === 0 ? 'No published flow yet: publish one in the flow editor first.' : undefined}
            data={[{ value: '', label: 'choose a published flow…' }, ...published.map((f) => ({ value: f.id, label: `${f.name} (v${f.publishedVersion}${f.active ? '' : ', inactive'})` }))]}
            onChange={(e) => onChange({ flowId: e.currentTarget.value })}
          />
        )}
      </Stack>
    </Fieldset>
  );
}
