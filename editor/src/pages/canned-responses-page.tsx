import {
  ActionIcon,
  Badge,
  Button,
  Code,
  Group,
  Modal,
  Paper,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { modals } from '@mantine/modals';
import { useState } from 'react';
import type { CannedResponse } from '../api/api-types.ts';
import { useCannedResponses, useDeleteCanned, useSaveCanned, type CannedInput } from '../api/queries/canned-responses.queries.ts';
import { useTemplates } from '../api/queries/templates.queries.ts';
import { TemplatePreview } from '../templates/template-preview.tsx';
import { QueryState } from '../api/query-state.tsx';
import { messageOf } from '../error-message.ts';

/** Quick replies: what agents insert by typing `/shortcut` in the reply box, with the contact's details filled in. */
export function CannedResponsesPage() {
  const list = useCannedResponses();
  const remove = useDeleteCanned();
  const [editing, setEditing] = useState<CannedResponse | 'new' | null>(null);
  const confirmDelete = (c: CannedResponse) =>
    modals.openConfirmModal({
      title: `Delete /${c.shortcut}?`,
      children: <Text size="sm">Agents will no longer find it in the reply box.</Text>,
      labels: { confirm: 'Delete', cancel: 'Keep it' },
      confirmProps: { color: 'red' },
      onConfirm: () => remove.mutate(c),
    });
  return (
    <Stack gap="lg">
      <Group justify="space-between">
        <Title order={1}>Quick replies</Title>
        <Button onClick={() => setEditing('new')}>New quick reply</Button>
      </Group>
      <Text c="dimmed" size="sm">
        Agents type <Code>/</Code> and the shortcut in the reply box. Write <Code>{'{{contact.name}}'}</Code> for the contact's name, or{' '}
        <Code>{'{{contact.name | "there"}}'}</Code> with a fallback. Or use a saved template: the agent gets it in the contact's language,
        filled in and ready to edit before sending.
      </Text>
      <QueryState query={list} label="quick replies">
        {({ items }) =>
          items.length === 0 ? (
            <Paper withBorder p="lg" radius="md">
              <Text>No quick replies yet.</Text>
            </Paper>
          ) : (
            <Paper withBorder radius="md">
              <Table aria-label="Quick replies" verticalSpacing="sm">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Shortcut</Table.Th>
                    <Table.Th>Title</Table.Th>
                    <Table.Th>Text</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((c) => (
                    <Table.Tr key={c.id}>
                      <Table.Td>
                        <Code>/{c.shortcut}</Code>
                      </Table.Td>
                      <Table.Td>{c.title}</Table.Td>
                      <Table.Td>
                        {c.template ? (
                          <Badge variant="light" tt="none">
                            Template “{c.template.name}”
                          </Badge>
                        ) : (
                          <Text size="sm" lineClamp={2} style={{ whiteSpace: 'pre-wrap' }}>
                            {c.text}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4} justify="flex-end" wrap="nowrap">
                          <Button size="xs" variant="default" onClick={() => setEditing(c)}>
                            Edit
                          </Button>
                          <ActionIcon variant="subtle" color="red" aria-label={`Delete /${c.shortcut}`} onClick={() => confirmDelete(c)}>
                            ✕
                          </ActionIcon>
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
          )
        }
      </QueryState>
      {editing && (
        <CannedForm
          key={editing === 'new' ? 'new' : editing.id}
          canned={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
        />
      )}
    </Stack>
  );
}

function CannedForm({ canned, onClose }: { canned: CannedResponse | null; onClose: () => void }) {
  const [value, setValue] = useState(() => ({
    shortcut: canned?.shortcut ?? '',
    title: canned?.title ?? '',
    text: canned?.text ?? '',
    templateId: canned?.template?.id ?? '',
  }));
  const [mode, setMode] = useState<'text' | 'template'>(canned?.template ? 'template' : 'text');
  const templates = useTemplates();
  const picked = templates.data?.items.find((t) => t.id === value.templateId) ?? null;
  const save = useSaveCanned();
  const body: CannedInput =
    mode === 'text'
      ? { shortcut: value.shortcut.trim(), title: value.title.trim(), text: value.text.trim() }
      : { shortcut: value.shortcut.trim(), title: value.title.trim(), templateId: value.templateId };
  const ready =
    value.shortcut.trim() !== '' && value.title.trim() !== '' && (mode === 'text' ? value.text.trim() !== '' : value.templateId !== '');
  return (
    <Modal opened onClose={onClose} title={canned ? `Edit /${canned.shortcut}` : 'New quick reply'} size="lg">
      <Stack>
        <TextInput
          label="Shortcut"
          description="Lower-case letters, digits, - and _"
          leftSection="/"
          maxLength={40}
          required
          value={value.shortcut}
          onChange={(e) => setValue({ ...value, shortcut: e.currentTarget.value.toLowerCase() })}
        />
        <TextInput
          label="Title"
          maxLength={100}
          required
          value={value.title}
          onChange={(e) => setValue({ ...value, title: e.currentTarget.value })}
        />
        <SegmentedControl
          aria-label="What it inserts"
          value={mode}
          onChange={(m) => setMode(m as 'text' | 'template')}
          data={[
            { value: 'text', label: 'Write a text' },
            { value: 'template', label: 'Use a template' },
          ]}
        />
        {mode === 'text' ? (
          <Textarea
            label="Text"
            required
            autosize
            minRows={3}
            maxLength={4096}
            value={value.text}
            onChange={(e) => setValue({ ...value, text: e.currentTarget.value })}
            placeholder={'Hi {{contact.name | "there"}}, thanks for waiting!'}
          />
        ) : (
          <>
            <Select
              label="Template"
              required
              placeholder={templates.isLoading ? 'Loading templates…' : 'Pick a template'}
              data={(templates.data?.items ?? []).map((t) => ({ value: t.id, label: t.name }))}
              value={value.templateId || null}
              searchable
              nothingFoundMessage="No template has that name"
              comboboxProps={{ withinPortal: true }}
              onChange={(id) => setValue({ ...value, templateId: id ?? '' })}
            />
            {picked && <TemplatePreview key={picked.id} content={picked.content} />}
            <Text size="sm" c="dimmed">
              The agent gets the template as it is when they use it, in the contact's language (else its fallback), and can edit it before
              sending. Inbox replies are text: a template's media is not attached.
            </Text>
          </>
        )}
        {save.error && (
          <Text c="red.8" size="sm" role="alert">
            {messageOf(save.error)}
          </Text>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            onClick={() => save.mutate({ id: canned?.id ?? null, canned: body }, { onSuccess: onClose })}
            loading={save.isPending}
            disabled={!ready}
          >
            Save
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
