import { Checkbox, Fieldset, Group, NativeSelect, Radio, Stack, TextInput } from '@mantine/core';
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
    <Fieldset legend="Schedule" variant="unstyled" styles={{ legend: { fontWeight: 700, marginBottom: 4 } }}>
      <Stack gap="sm">
        <Radio.Group
          value={value.scheduleKind}
          onChange={(kind) => onChange({ scheduleKind: kind as ScheduleFields['scheduleKind'] })}
          aria-label="When"
        >
          <Group gap="lg">
            {KINDS.map((k) => (
              <Radio key={k.kind} value={k.kind} label={k.label} />
            ))}
          </Group>
        </Radio.Group>
        {value.scheduleKind === 'at' && (
          <TextInput
            type="datetime-local"
            label="Local date and time"
            value={value.localTime}
            onChange={(e) => onChange({ localTime: e.currentTarget.value.slice(0, 16) })}
            w={260}
          />
        )}
        {value.scheduleKind === 'recurring' && <CronField label="Repeat" value={value.cron} onChange={(cron) => onChange({ cron })} />}
        {value.scheduleKind !== 'now' && (
          <TimezoneField label="Time zone" value={value.timezone} onChange={(timezone) => onChange({ timezone: timezone ?? '' })} />
        )}
      </Stack>
    </Fieldset>
  );
}

type QuietHoursFields = Pick<BroadcastDraft, 'quietHours' | 'quietStart' | 'quietEnd' | 'quietTimezone'>;

/** Optional hours in which nothing is sent; the messages due then wait for their end. */
export function QuietHoursField({ value, onChange }: { value: QuietHoursFields; onChange: (patch: Partial<QuietHoursFields>) => void }) {
  return (
    <Fieldset legend="Quiet hours" variant="unstyled" styles={{ legend: { fontWeight: 700, marginBottom: 4 } }}>
      <Stack gap="sm">
        <Checkbox
          label="Do not send during quiet hours"
          checked={value.quietHours}
          onChange={(e) => onChange({ quietHours: e.currentTarget.checked })}
        />
        {value.quietHours && (
          <Group gap="sm" align="flex-end">
            <TextInput
              type="time"
              label="From"
              value={value.quietStart}
              onChange={(e) => onChange({ quietStart: e.currentTarget.value })}
              w={130}
            />
            <TextInput
              type="time"
              label="Until"
              value={value.quietEnd}
              onChange={(e) => onChange({ quietEnd: e.currentTarget.value })}
              w={130}
            />
            <NativeSelect
              label="On whose clock"
              value={value.quietTimezone}
              data={[
                { value: 'contact', label: "each contact's (attribute timezone, else the workspace's)" },
                { value: 'workspace', label: "the workspace's" },
              ]}
              onChange={(e) => onChange({ quietTimezone: e.currentTarget.value as QuietHoursFields['quietTimezone'] })}
            />
          </Group>
        )}
      </Stack>
    </Fieldset>
  );
}
