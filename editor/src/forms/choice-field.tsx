import { Input, NativeSelect, SegmentedControl } from '@mantine/core';
import { useId } from 'react';

/** Up to this many short options are buttons side by side; more are a drop-down list. */
const SEGMENTS_MAX = 4;
const SEGMENT_LABEL_MAX_CHARS = 14;

export interface Choice {
  value: string;
  label: string;
}

/**
 * One choice among a few known options: a segmented control when they are few and short (all
 * visible at once), a drop-down list otherwise. `empty` adds a "none" option (an optional choice).
 */
export function ChoiceField({
  label,
  value,
  options,
  onChange,
  empty,
  error,
  description,
}: {
  label: string;
  value: string;
  options: readonly Choice[];
  onChange: (value: string) => void;
  empty?: string;
  error?: string;
  description?: string;
}) {
  const id = useId();
  const all = empty === undefined ? options : [{ value: '', label: empty }, ...options];
  // A segmented control always shows one option chosen: a value, or the "none" option.
  const segmented =
    all.length <= SEGMENTS_MAX && all.every((o) => o.label.length <= SEGMENT_LABEL_MAX_CHARS) && (value !== '' || empty !== undefined);
  if (segmented) {
    return (
      <Input.Wrapper label={label} labelElement="div" id={id} error={error} description={description}>
        <SegmentedControl
          aria-label={label}
          fullWidth
          size="xs"
          value={value}
          data={all.map((o) => ({ value: o.value, label: o.label }))}
          onChange={onChange}
        />
      </Input.Wrapper>
    );
  }
  return (
    <NativeSelect
      label={label}
      size="sm"
      value={value}
      error={error}
      description={description}
      data={value === '' && empty === undefined ? [{ value: '', label: 'choose…', disabled: true }, ...all] : all}
      onChange={(e) => onChange(e.currentTarget.value)}
    />
  );
}
