import { useId } from 'react';
import { describeCron } from './cron-description.ts';

/** A cron expression with its meaning in words under it (or why it is invalid). */
export function CronField({ label, value, onChange }: { label: string; value: string; onChange: (value: string) => void }) {
  const id = useId();
  const described = describeCron(value);
  return (
    <div className="field">
      <label htmlFor={id}>{label} (minute hour day month weekday)</label>
      <input id={id} value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={`${id}-preview`} spellCheck={false} />
      <p id={`${id}-preview`} className={described.ok ? 'hint' : 'error'} aria-live="polite">
        {described.text}
      </p>
    </div>
  );
}
