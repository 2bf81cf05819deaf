import { Group, Paper, Select, Stack, Text, Title } from '@mantine/core';
import { useMemo, useState } from 'react';
import { contactTemplateValues } from '../../../engine/runs/flow-data.ts';
import {
  normaliseLanguage,
  renderTemplateContent,
  SAMPLE_CONTACT,
  TemplateContentSchema,
  type TemplateContentInput,
} from '../../../engine/templates/message-template.ts';
import { useMe } from '../api/queries/session.queries.ts';

/**
 * A template as a sample contact would get it, rendered as the send does (the engine's own
 * renderer, in the page), in the language chosen (the fallback until one is): unsaved edits show
 * at once, with the problems that would refuse them.
 */
export function TemplatePreview({
  content,
  title = `Preview for ${SAMPLE_CONTACT.name}`,
}: {
  content: TemplateContentInput;
  title?: string;
}) {
  const workspace = useMe().data?.workspace;
  const [language, setLanguage] = useState<string | null>(null);
  const parsed = useMemo(() => TemplateContentSchema.safeParse(content), [content]);
  const languages = parsed.success ? parsed.data.variants.map((v) => v.language) : [];
  const rendered = useMemo(() => {
    if (!parsed.success) return null;
    const contact = { ...SAMPLE_CONTACT, attributes: {}, tags: [...SAMPLE_CONTACT.tags] };
    return renderTemplateContent(parsed.data, language ?? parsed.data.fallbackLanguage, {
      contact: contactTemplateValues(contact),
      workspace: { name: workspace?.name ?? '', timezone: workspace?.timezone ?? 'UTC' },
    });
  }, [parsed, language, workspace]);
  return (
    <Stack gap="xs" aria-label="Preview">
      <Group justify="space-between" align="end">
        <Title order={3} size="h5">
          {title}
        </Title>
        <Select
          size="xs"
          label="Contact's language"
          w={160}
          data={languages}
          value={language && languages.includes(normaliseLanguage(language)) ? normaliseLanguage(language) : null}
          placeholder="fallback"
          clearable
          onChange={setLanguage}
          comboboxProps={{ withinPortal: true }}
        />
      </Group>
      {rendered ? (
        <Paper withBorder p="md" radius="md" bg="green.0" data-testid="template-preview">
          {rendered.mediaUrl && (
            <Text size="xs" c="dimmed" mb={4}>
              📎 {rendered.mediaUrl}
            </Text>
          )}
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
            {rendered.text}
          </Text>
          <Text size="xs" c="dimmed" mt={6}>
            {rendered.language}
          </Text>
        </Paper>
      ) : (
        <Paper withBorder p="md" radius="md" role="alert">
          <Text size="sm" c="red.8" fw={600}>
            Not ready to send yet:
          </Text>
          <Stack gap={2} mt={4}>
            {parsed.error?.issues.map((issue, i) => (
              <Text key={i} size="sm" c="red.8">
                {issue.message}
              </Text>
            ))}
          </Stack>
        </Paper>
      )}
    </Stack>
  );
}
