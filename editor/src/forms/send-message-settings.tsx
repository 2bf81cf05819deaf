import { Anchor, SegmentedControl, Select, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { useTemplates } from '../api/queries/templates.queries.ts';
import { ConfigForm } from './config-form.tsx';
import type { JsonSchema } from './json-schema.ts';

type Config = Record<string, unknown>;

/**
 * A send_message node's settings: "Write a message" (the generated form of its text and media
 * URL) or "Use a template" (a saved template picked by name). The template wins when both are
 * set; switching back to writing drops the template and keeps the text written before.
 */
export function SendMessageSettings({
  schema,
  value,
  onChange,
  errors,
}: {
  schema: JsonSchema;
  value: unknown;
  onChange: (config: Config) => void;
  errors: ReadonlyMap<string, readonly string[]>;
}) {
  const config = (typeof value === 'object' && value !== null ? value : {}) as Config;
  const [mode, setMode] = useState<'write' | 'template'>(typeof config.templateId === 'string' ? 'template' : 'write');
  const templates = useTemplates();
  const { templateId: _templateId, ...written } = config;
  // The generated form shows the text and media fields only: the template is picked below.
  const writeSchema: JsonSchema = {
    ...schema,
    properties: Object.fromEntries(Object.entries(schema.properties ?? {}).filter(([key]) => key !== 'templateId')),
  };
  const templateError = errors.get('templateId')?.join(' ');
  const options = (templates.data?.items ?? []).map((t) => ({ value: t.id, label: t.name }));
  const picked = typeof config.templateId === 'string' ? config.templateId : null;
  return (
    <Stack gap="sm">
      <SegmentedControl
        aria-label="What to send"
        value={mode}
        data={[
          { value: 'write', label: 'Write a message' },
          { value: 'template', label: 'Use a template' },
        ]}
        onChange={(next) => {
          setMode(next as 'write' | 'template');
          if (next === 'write') onChange(written);
        }}
      />
      {mode === 'write' ? (
        <ConfigForm schema={writeSchema} value={written} errors={errors} onChange={(next) => onChange(next as Config)} />
      ) : (
        <>
          <Select
            label="Template"
            placeholder={templates.isLoading ? 'Loading templates…' : 'Pick a template'}
            data={
              picked && !options.some((o) => o.value === picked) ? [...options, { value: picked, label: 'A deleted template' }] : options
            }
            value={picked}
            searchable
            nothingFoundMessage="No template has that name"
            error={templateError ?? (templates.error ? 'The templates could not be loaded' : undefined)}
            comboboxProps={{ withinPortal: true }}
            onChange={(id) => onChange(id ? { ...config, templateId: id } : written)}
          />
          <TemplateSummary templateId={picked} />
          <Text size="sm" c="dimmed">
            The contact gets the template in their language. Publishing keeps the template as it is now; edit it under{' '}
            <Anchor component={Link} to="/templates" size="sm">
              Templates
            </Anchor>
            .
          </Text>
        </>
      )}
    </Stack>
  );
}

/** The chosen template's fallback text, so the node's settings say what it sends. */
function TemplateSummary({ templateId }: { templateId: string | null }) {
  const template = useTemplates().data?.items.find((t) => t.id === templateId);
  if (!template) return null;
  const fallback = template.content.variants.find((v) => v.language === template.content.fallbackLanguage);
  return (
    <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} p="xs" bg="gray.0" aria-label="Template text">
      {fallback?.text}
    </Text>
  );
}
