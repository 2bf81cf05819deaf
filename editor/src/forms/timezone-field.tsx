import { TextInput } from '@mantine/core';
import { useId } from 'react';

/** IANA zones the browser knows; the datalist suggests them while still allowing any text (the server checks it). */
const TIME_ZONES: readonly string[] = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];

/** An optional IANA time zone; empty means the workspace's. */
export function TimezoneField({
  label,
  value,
  onChange,
  error,
}: {
  label: string;
  value: string | undefined;
  onChange: (value: string | undefined) => void;
  error?: string;
}) {
  const id = useId();
  return (
    <>
      <TextInput
        label={label}
        list={`${id}-zones`}
        value={value ?? ''}
        placeholder="workspace time zone"
        error={error}
        onChange={(e) => onChange(e.currentTarget.value.trim() === '' ? undefined : e.currentTarget.value)}
      />
      <datalist id={`${id}-zones`}>
        {TIME_ZONES.map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
    </>
  );
}
