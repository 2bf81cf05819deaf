import { TextInput } from '@mantine/core';
import { describeCron } from './cron-description.ts';

/** A cron expression with its meaning in words under it (or why it is invalid). */
export function CronField({
  label,
  value,
  onChange,
  error,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string;
}) {
  const described = describeCron(value);
  return (
    <TextInput
      label={`${label} (minute hour day month weekday)`}
      value={value}
      spellCheck={false}
      onChange={(e) => onChange(e.currentTarget.value)}
      description={described.ok ? <span aria-live="polite">{described.text}</span> : undefined}
      error={described.ok ? error : <span aria-live="polite">{described.text}</span>}
    />
  );
}
