import { Anchor, Fieldset, Group, NativeSelect, Radio, Select, Stack, Text, TextInput } from '@mantine/core';
import { Link } from 'react-router';
import type { FlowListItem } from '../api/api-types.ts';
import { useTemplates } from '../api/queries/templates.queries.ts';
import { TemplateField } from '../forms/template-field.tsx';
import { TemplatePreview } from '../templates/template-preview.tsx';
import type { BroadcastDraft } from './broadcast-draft.ts';

type ContentFields = Pick<BroadcastDraft, 'contentKind' | 'text' | 'mediaUrl' | 'templateId' | 'flowId'>;

/** What each recipient gets: a message written here (media optional), a saved template, or a run of a published flow. */
export function ContentField({
  value,
  flows,
  onChange,
}: {
  value: ContentFields;
  flows: FlowListItem[] | null;
  onChange: (patch: Partial<ContentFields>) => void;
}) {
  const published = flows?.filter((f) => f.publishedVersion !== null) ?? [];
  return (
    <Fieldset legend="Content" variant="unstyled" styles={{ legend: { fontWeight: 700, marginBottom: 4 } }}>
      <Stack gap="sm">
        <Radio.Group
          value={value.contentKind}
          onChange={(kind) => onChange({ contentKind: kind as ContentFields['contentKind'] })}
          aria-label="Content kind"
        >
          <Group gap="lg">
            <Radio value="message" label="Write a message" />
            <Radio value="template" label="Use a template" />
            <Radio value="flow" label="Start a flow" />
          </Group>
        </Radio.Group>
        {value.contentKind === 'message' ? (
          <>
            <TemplateField label="Message text" value={value.text} onChange={(text) => onChange({ text })} multiline required />
            <TextInput
              type="url"
              label="Media URL (optional)"
              value={value.mediaUrl}
              onChange={(e) => onChange({ mediaUrl: e.currentTarget.value })}
              placeholder="https://example.com/offer.jpg"
            />
          </>
        ) : value.contentKind === 'template' ? (
          <TemplatePicker templateId={value.templateId} onChange={(templateId) => onChange({ templateId })} />
        ) : (
          <NativeSelect
            label="Flow"
            value={value.flowId}
            description={
              flows !== null && published.length === 0 ? 'No published flow yet: publish one in the flow editor first.' : undefined
            }
            data={[
              { value: '', label: 'choose a published flow…' },
              ...published.map((f) => ({ value: f.id, label: `${f.name} (v${f.publishedVersion}${f.active ? '' : ', inactive'})` })),
            ]}
            onChange={(e) => onChange({ flowId: e.currentTarget.value })}
          />
        )}
      </Stack>
    </Fieldset>
  );
}

/** A saved template picked by name, previewed in each of its languages. */
function TemplatePicker({ templateId, onChange }: { templateId: string; onChange: (templateId: string) => void }) {
  const templates = useTemplates();
  const items = templates.data?.items ?? [];
  const picked = items.find((t) => t.id === templateId) ?? null;
  const options = items.map((t) => ({ value: t.id, label: t.name }));
  return (
    <Stack gap="sm">
      <Select
        label="Template"
        placeholder={templates.isLoading ? 'Loading templates…' : 'Pick a template'}
        data={templateId && !picked && !templates.isLoading ? [...options, { value: templateId, label: 'A deleted template' }] : options}
        value={templateId || null}
        searchable
        nothingFoundMessage="No template has that name"
        error={templates.error ? 'The templates could not be loaded' : undefined}
        description={
          templates.data && items.length === 0 ? (
            <>
              No template yet: write one under{' '}
              <Anchor component={Link} to="/templates" size="xs">
                Templates
              </Anchor>
              .
            </>
          ) : undefined
        }
        comboboxProps={{ withinPortal: true }}
        onChange={(id) => onChange(id ?? '')}
      />
      {picked && (
        <>
          <TemplatePreview
            key={picked.id}
            content={picked.content}
            title={`“${picked.name}” (version ${picked.version}) for a sample contact`}
          />
          <Text size="sm" c="dimmed">
            Each recipient gets the language of their <code>language</code> attribute, else {picked.content.fallbackLanguage}. The broadcast
            sends the template as it is when it starts: edits made while it sends do not change it.
          </Text>
        </>
      )}
    </Stack>
  );
}
