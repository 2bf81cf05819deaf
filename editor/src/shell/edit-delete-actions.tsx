import { ActionIcon, Button, Group } from '@mantine/core';

/** A table row's Edit button and its Delete icon (labelled with the row's name), at the row's end. */
export function EditDeleteActions({ name, onEdit, onDelete }: { name: string; onEdit: () => void; onDelete: () => void }) {
  return (
    <Group gap={4} justify="flex-end" wrap="nowrap">
      <Button size="xs" variant="default" onClick={onEdit}>
        Edit
      </Button>
      <ActionIcon variant="subtle" color="red" aria-label={`Delete ${name}`} onClick={onDelete}>
        ✕
      </ActionIcon>
    </Group>
  );
}
