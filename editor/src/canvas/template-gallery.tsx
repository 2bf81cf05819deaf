import { Paper, Stack, Text, Title, UnstyledButton } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { FlowDocumentJson } from '../api/api-types.ts';

interface Template {
  name: string;
  description: string | null;
  document: FlowDocumentJson;
}

// The flows of examples/flows/, each loaded when the gallery first shows (not in the editor's main bundle).
const TEMPLATE_LOADERS = import.meta.glob<Template>('../../../examples/flows/*.json', { import: 'default' });

/**
 * What an empty flow shows on its canvas: how to start, and the example flows as templates. A
 * template replaces the empty draft (one undoable edit).
 */
export function TemplateGallery({ onUse }: { onUse: (document: FlowDocumentJson) => void }) {
  const [templates, setTemplates] = useState<Template[] | null>(null);
  useEffect(() => {
    let cancelled = false;
    void Promise.all(
      Object.keys(TEMPLATE_LOADERS)
        .sort()
        .map((key) => TEMPLATE_LOADERS[key]!()),
    ).then((loaded) => !cancelled && setTemplates(loaded));
    return () => {
      cancelled = true;
    };
  }, []);
  return (
    <Paper component="section" className="empty-canvas" aria-label="Start this flow" shadow="md" withBorder p="md" radius="md">
      <Title order={2} size="h4" mb={6}>
        This flow is empty
      </Title>
      <Text size="sm">
        Drag a <strong>Message received</strong> trigger from the left to start, then add what should happen below it. Or start from a
        template:
      </Text>
      <Stack component="ul" gap={8} m={0} mt="sm" p={0} style={{ listStyle: 'none' }}>
        {templates?.map((t) => (
          <li key={t.name}>
            <UnstyledButton onClick={() => onUse(t.document)} w="100%" p="xs" className="template">
              <Text fw={600} size="sm">
                {t.name}
              </Text>
              {t.description && (
                <Text size="xs" c="dimmed">
                  {t.description}
                </Text>
              )}
            </UnstyledButton>
          </li>
        ))}
      </Stack>
    </Paper>
  );
}
