import { CronField } from '../forms/cron-field.tsx';
import { TimezoneField } from '../forms/timezone-field.tsx';
import type { BroadcastDraft } from './broadcast-draft.ts';

const KINDS = [
  { kind: 'now', label: 'Now' },
  { kind: 'at', label: 'At a time' },
  { kind: 'recurring', label: 'Recurring' },
] as const;

type ScheduleFields = Pick<BroadcastDraft, 'scheduleKind' | 'localTime' | 'cron' | 'timezone'>;

/** When it is sent: as soon as it is scheduled, once at a local time, or on a cron schedule, in a time zone. */
export function ScheduleField({ value, onChange }: { value: ScheduleFields; onChange: (patch: Partial<ScheduleFields>) => void }) {
  return (
    <fieldset className="field">
      <legend>Schedule</legend>
      <div className="row" role="radiogroup" aria-label="When">
        {KINDS.map((k) => (
          <label key={k.kind} className="inline">
            <input type="radio" name="schedule-kind" checked={value.scheduleKind === k.kind} onChange={() => onChange({ scheduleKind: k.kind })} />
            {k.label}
          </label>
        ))}
      </div>
      {value.scheduleKind === 'at' && (
        <label>
          Local date and time
          <input type="datetime-local" value={value.localTime} onChange={(e) => onChange({ localTime: e.target.value.slice(0, 16) })} />
        </label>
      )}
      {value.scheduleKind === 'recurring' && <CronField label="Repeat" value={value.cron} onChange={(cron) => onChange({ cron })} />}
      {value.scheduleKind !== 'now' && <TimezoneField label="Time zone" value={value.timezone} onChange={(timezone) => onChange({ timezone: timezone ?? '' })} />}
    </fieldset>
  );
}

type QuietHoursFields = Pick<BroadcastDraft, 'quietHours' | 'quietStart' | 'quietEnd' | 'quietTimezone'>;

/** Optional hours in which nothing is sent; the messages due then wait for their end. */
export function QuietHoursField({ value, onChange }: { value: QuietHoursFields; onChange: (patch: Partial<QuietHoursFields>) => void }) {
  return (
    <fieldset className="field">
      <legend>Quiet hours</legend>
      <label className="inline">
        <input type="checkbox" checked={value.quietHours} onChange={(e) => onChange({ quietHours: e.target.checked })} />
        Do not send during quiet hours
      </label>
      {value.quietHours && (
        <div className="row">
          <label>
            From
            <input type="time" value={value.quietStart} onChange={(e) => onChange({ quietStart: e.target.value })} />
          </label>
          <label>
            Until
            <input type="time" value={value.quietEnd} onChange={(e) => onChange({ quietEnd: e.target.value })} />
          </label>
          <label>
            On whose clock
            <select value={value.quietTimezone} onChange={(e) => onChange({ quietTimezone: e.target.value as QuietHoursFields['quietTimezone'] })}>
              <option value="contact">each contact's (attribute timezone, else the workspace's)</option>
              <option value="workspace">the workspace's</option>
            </select>
          </label>
        </div>
      )}
    </fieldset>
  );
}
