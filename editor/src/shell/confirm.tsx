import { Text } from '@mantine/core';
import { modals } from '@mantine/modals';

/**
 * Asks before a step that cannot be undone, in a modal: what happens, and a button named for
 * the step ("Delete flow"). Resolves true when confirmed.
 */
export function confirmAction({
  title,
  message,
  confirmLabel,
  danger = true,
}: {
  title: string;
  message: string;
  confirmLabel: string;
  danger?: boolean;
}): Promise<boolean> {
  return new Promise((resolve) => {
    modals.openConfirmModal({
      title,
      children: <Text size="sm">{message}</Text>,
      labels: { confirm: confirmLabel, cancel: 'Keep it' },
      confirmProps: { color: danger ? 'red' : undefined },
      onConfirm: () => resolve(true),
      onCancel: () => resolve(false),
      onClose: () => resolve(false),
    });
  });
}
