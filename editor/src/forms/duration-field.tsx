import { useId } from 'react';
import { DURATION_UNITS, type Duration } from '../../../engine/flows/duration.ts';

/** An amount and a unit (the engine's Duration), e.g. "5 minutes". */
export function DurationField({ label, value, onChange }: { label: string; value: Partial<Duration> | undefined; onChange: (value: Duration) => void }) {
  const id = useId();
  const amount = value?.amount ?? 1;
  const unit = value?.unit ?? 'minutes';
  return (
    <fieldset className="field">
      <legend>{label}</legend>
      <div className="row">
        <label htmlFor={`${id}-amount`} className="visually-hidden">
          {label}: amount
        </label>
        <input id={`${id}-amount`} type="number" min={1} step={1} value={amount} onChange={(e) => onChange({ amount: Math.trunc(Number(e.target.value)), unit })} />
        <label htmlFor={`${id}-unit`} className="visually-hidden">
          {label}: unit
        </label>
        <select id={`${id}-unit`} value={unit} onChange={(e) => onChange({ amount, unit: e.target.value as Duration['unit'] })}>
          {DURATION_UNITS.map((u) => (
            <option key={u} value={u}>
              {u}
            </option>
          ))}
        </select>
      </div>
    </fieldset>
  );
}
