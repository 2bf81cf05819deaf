import { Pill, TagsInput } from '@mantine/core';

/**
 * A list of short strings (keywords, choices): Enter or a comma adds one, each shows as a pill
 * whose remove button is named ("Remove hi") and reachable by Tab, not only by Backspace.
 */
export function StringListField({
  label,
  values,
  onChange,
  error,
}: {
  label: string;
  values: readonly string[];
  onChange: (values: string[]) => void;
  error?: string;
}) {
  return (
    <TagsInput
      label={label}
      value={[...values]}
      onChange={onChange}
      error={error}
      acceptValueOnBlur
      splitChars={[',']}
      placeholder="type and press Enter"
      renderPill={({ value, onRemove, disabled }) => (
        <Pill
          withRemoveButton={!disabled}
          onRemove={onRemove}
          removeButtonProps={{ 'aria-label': `Remove ${value}`, 'aria-hidden': false, tabIndex: 0 }}
        >
          {value}
        </Pill>
      )}
    />
  );
}
