import {
  Badge,
  Button,
  Code,
  Group,
  Modal,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { modals } from '@mantine/modals';
import { useState } from 'react';
import type { TemplateContentInput } from '../../../engine/templates/message-template.ts';
import type { MessageTemplate } from '../api/api-types.ts';
import { useCan } from '../api/queries/use-can.ts';
import { useDeleteTemplate, useSaveTemplate, useTemplates } from '../api/queries/templates.queries.ts';
import { QueryState } from '../api/query-state.tsx';
import { messageOf } from '../error-message.ts';
import { EditDeleteActions } from '../shell/edit-delete-actions.tsx';
import { TemplateHistory } from '../templates/template-history.tsx';
import { TemplatePreview } from '../templates/template-preview.tsx';

/**
 * Saved message templates: texts with {{variables}} in several languages, which send_message
 * nodes send by reference. Each save is a new version; published flows keep the version they
 * were published with.
 */
export function TemplatesPage() {
  const list = useTemplates();
  const remove = useDeleteTemplate();
  const canManage = useCan('templates.manage') === true;
  const [editing, setEditing] = useState<MessageTemplate | 'new' | null>(null);
  const [history, setHistory] = useState<MessageTemplate | null>(null);
  const confirmDelete = (t: MessageTemplate) =>
    modals.openConfirmModal({
      title: `Delete “${t.name}”?`,
      children: (
        <Text size="sm">
          Drafts that send it will show a problem. A template that a published flow, a broadcast not finished yet or a quick reply sends
          cannot be deleted: they are named if so.
        </Text>
      ),
      labels: { confirm: 'Delete', cancel: 'Keep it' },
      confirmProps: { color: 'red' },
      onConfirm: () => remove.mutate(t),
    });
  return (
    <Stack gap="lg">
      <Group justify="space-between">
        <Title order={1}>Templates</Title>
        {canManage && <Button onClick={() => setEditing('new')}>New template</Button>}
      </Group>
      <Text c="dimmed" size="sm">
        A template is a message you write once and send from flows (Send message → Use a template), broadcasts and quick replies. Write{' '}
        <Code>{'{{contact.name}}'}</Code> for the contact's name. A contact gets the language of their <Code>language</Code> attribute, else
        the fallback language. Editing a template changes what drafts, broadcasts not started yet and quick replies send; a published flow
        keeps the version it was published with until you publish it again, and a broadcast the version it started with.
      </Text>
      <QueryState query={list} label="templates">
        {({ items }) =>
          items.length === 0 ? (
            <Paper withBorder p="lg" radius="md">
              <Text>No templates yet.</Text>
            </Paper>
          ) : (
            <Paper withBorder radius="md">
              <Table aria-label="Templates" verticalSpacing="sm">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Languages</Table.Th>
                    <Table.Th>Text</Table.Th>
                    <Table.Th>Version</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((t) => {
                    const fallback = t.content.variants.find((v) => v.language === t.content.fallbackLanguage);
                    return (
                      <Table.Tr key={t.id}>
                        <Table.Td fw={600}>{t.name}</Table.Td>
                        <Table.Td>
                          <Group gap={4}>
                            {t.content.variants.map((v) => (
                              <Badge key={v.language} variant={v.language === t.content.fallbackLanguage ? 'filled' : 'light'}>
                                {v.language}
                              </Badge>
                            ))}
                          </Group>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm" lineClamp={2} style={{ whiteSpace: 'pre-wrap' }}>
                            {fallback?.text}
                          </Text>
                        </Table.Td>
                        <Table.Td>{t.version}</Table.Td>
                        <Table.Td>
                          <Group gap={4} justify="flex-end" wrap="nowrap">
                            <Button size="xs" variant="subtle" onClick={() => setHistory(t)} aria-label={`History of ${t.name}`}>
                              History
                            </Button>
                            {canManage && (
                              <EditDeleteActions name={t.name} onEdit={() => setEditing(t)} onDelete={() => confirmDelete(t)} />
                            )}
                          </Group>
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Paper>
          )
        }
      </QueryState>
      {history && <TemplateHistory template={history} onClose={() => setHistory(null)} />}
      {editing && (
        <TemplateForm
          key={editing === 'new' ? 'new' : editing.id}
          template={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
        />
      )}
    </Stack>
  );
}

type VariantDraft = { language: string; text: string; mediaUrl: string };

function draftOf(template: MessageTemplate | null): { name: string; fallbackLanguage: string; variants: VariantDraft[] } {
  if (!template) return { name: '', fallbackLanguage: 'en', variants: [{ language: 'en', text: '', mediaUrl: '' }] };
  return {
    name: template.name,
    fallbackLanguage: template.content.fallbackLanguage,
    variants: template.content.variants.map((v) => ({ language: v.language, text: v.text, mediaUrl: v.mediaUrl ?? '' })),
  };
}

/** The content the API takes: an empty media URL is no media. */
function contentOf(draft: ReturnType<typeof draftOf>): TemplateContentInput {
  return {
    fallbackLanguage: draft.fallbackLanguage,
    variants: draft.variants.map((v) => ({
      language: v.language,
      text: v.text,
      ...(v.mediaUrl.trim() ? { mediaUrl: v.mediaUrl.trim() } : {}),
    })),
  };
}

function TemplateForm({ template, onClose }: { template: MessageTemplate | null; onClose: () => void }) {
  const [draft, setDraft] = useState(() => draftOf(template));
  const save = useSaveTemplate();
  const setVariant = (index: number, change: Partial<VariantDraft>) =>
    setDraft({ ...draft, variants: draft.variants.map((v, i) => (i === index ? { ...v, ...change } : v)) });
  const languages = draft.variants.map((v) => v.language.trim()).filter((l) => l !== '');
  return (
    <Modal opened onClose={onClose} title={template ? `Edit “${template.name}”` : 'New template'} size="xl">
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Stack>
          <TextInput
            label="Name"
            description="Flows pick the template by this name"
            maxLength={100}
            required
            value={draft.name}
            onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })}
          />
          {draft.variants.map((v, index) => (
            <Paper key={index} withBorder p="sm" radius="md">
              <Stack gap="xs">
                <Group justify="space-between" align="end">
                  <TextInput
                    label="Language"
                    description="A code such as en, es or pt-BR"
                    w={160}
                    value={v.language}
                    onChange={(e) => setVariant(index, { language: e.currentTarget.value })}
                  />
                  {draft.variants.length > 1 && (
                    <Button
                      size="xs"
                      variant="subtle"
                      color="red"
                      onClick={() => setDraft({ ...draft, variants: draft.variants.filter((_, i) => i !== index) })}
                    >
                      Remove {v.language || 'this language'}
                    </Button>
                  )}
                </Group>
                <Textarea
                  label={`Text (${v.language || '…'})`}
                  autosize
                  minRows={3}
                  maxLength={4096}
                  value={v.text}
                  placeholder={'Hi {{contact.name | "there"}}!'}
                  onChange={(e) => setVariant(index, { text: e.currentTarget.value })}
                />
                <TextInput
                  label={`Media URL (${v.language || '…'}), optional`}
                  description="An image, video or document the message carries; the text becomes its caption"
                  value={v.mediaUrl}
                  placeholder="https://"
                  onChange={(e) => setVariant(index, { mediaUrl: e.currentTarget.value })}
                />
              </Stack>
            </Paper>
          ))}
          <Group justify="space-between" align="end">
            <Button
              variant="default"
              size="xs"
              onClick={() => setDraft({ ...draft, variants: [...draft.variants, { language: '', text: '', mediaUrl: '' }] })}
            >
              Add a language
            </Button>
            <Select
              label="Fallback language"
              description="For contacts whose language has no variant"
              w={220}
              data={[...new Set(languages)]}
              value={languages.includes(draft.fallbackLanguage) ? draft.fallbackLanguage : null}
              onChange={(l) => l && setDraft({ ...draft, fallbackLanguage: l })}
              allowDeselect={false}
            />
          </Group>
        </Stack>
        <TemplatePreview content={contentOf(draft)} />
      </SimpleGrid>
      {save.error && (
        <Text c="red.8" size="sm" role="alert" mt="sm">
          {messageOf(save.error)}
        </Text>
      )}
      <Group justify="flex-end" mt="md">
        <Button variant="default" onClick={onClose}>
          Cancel
        </Button>
        <Button
          onClick={() =>
            save.mutate(
              { id: template?.id ?? null, template: { name: draft.name.trim(), content: contentOf(draft) } },
              { onSuccess: onClose },
            )
          }
          loading={save.isPending}
          disabled={!draft.name.trim()}
        >
          {template ? 'Save as a new version' : 'Create template'}
        </Button>
      </Group>
    </Modal>
  );
}
