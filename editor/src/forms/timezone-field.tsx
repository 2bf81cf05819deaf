import { Autocomplete } from '@mantine/core';

/** IANA zones the browser knows, suggested while typing; any text is still accepted (the server checks it). */
const TIME_ZONES: readonly string[] = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];
/** Suggestions shown at once: the list of zones is long. */
const SUGGESTIONS_SHOWN = 30;

/** An optional IANA time zone; empty means the workspace's. */
export function TimezoneField({ label, value, onChange, error }: { label: string; value: string | undefined; onChange: (value: string | undefined) => void; error?: string }) {
  return (
    <Autocomplete
      label={label}
      value={value ?? ''}
      placeholder="workspace time zone"
      data={[...TIME_ZONES]}
      limit={SUGGESTIONS_SHOWN}
      error={error}
      onChange={(next) => onChange(next.trim() === '' ? undefined : next)}
    />
  );
}
