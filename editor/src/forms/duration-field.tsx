import { Fieldset, Group, NativeSelect, NumberInput } from '@mantine/core';
import { DURATION_UNITS, type Duration } from '../../../engine/flows/duration.ts';

/** An amount and a unit (the engine's Duration), e.g. "5 minutes". */
export function DurationField({
  label,
  value,
  onChange,
  error,
}: {
  label: string;
  value: Partial<Duration> | undefined;
  onChange: (value: Duration) => void;
  error?: string;
}) {
  const amount = value?.amount ?? 1;
  const unit = value?.unit ?? 'minutes';
  return (
    <Fieldset legend={label} variant="unstyled">
      <Group gap="xs" wrap="nowrap" align="flex-start">
        <NumberInput
          aria-label={`${label}: amount`}
          min={1}
          allowDecimal={false}
          value={amount}
          error={error}
          w={110}
          onChange={(next) => onChange({ amount: Math.trunc(Number(next) || 1), unit })}
        />
        <NativeSelect
          aria-label={`${label}: unit`}
          value={unit}
          data={[...DURATION_UNITS]}
          onChange={(e) => onChange({ amount, unit: e.currentTarget.value as Duration['unit'] })}
        />
      </Group>
    </Fieldset>
  );
}
