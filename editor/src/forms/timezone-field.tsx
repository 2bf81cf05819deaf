import { useId } from 'react';

/** IANA zones the browser knows; the datalist suggests them while still allowing any text. */
const TIME_ZONES: readonly string[] = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];

/** An optional IANA time zone; empty means the workspace's. */
export function TimezoneField({ label, value, onChange }: { label: string; value: string | undefined; onChange: (value: string | undefined) => void }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} list={`${id}-zones`} value={value ?? ''} placeholder="workspace time zone" onChange={(e) => onChange(e.target.value.trim() === '' ? undefined : e.target.value)} />
      <datalist id={`${id}-zones`}>
        {TIME_ZONES.map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
    </div>
  );
}
