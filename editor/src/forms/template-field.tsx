import { NativeSelect, Stack, Textarea, TextInput } from '@mantine/core';
import { useRef } from 'react';
import { TEMPLATE_VARIABLES } from './template-variables.ts';

/** A text (or one-line) field for templates, with a picker that inserts `{{variable}}` at the cursor. */
export function TemplateField({
  label,
  value,
  onChange,
  multiline,
  required,
  error,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  multiline: boolean;
  required?: boolean;
  error?: string;
}) {
  const ref = useRef<HTMLTextAreaElement & HTMLInputElement>(null);

  function insert(path: string) {
    if (!path) return;
    const field = ref.current;
    const token = `{{${path}}}`;
    const start = field?.selectionStart ?? value.length;
    const end = field?.selectionEnd ?? value.length;
    onChange(value.slice(0, start) + token + value.slice(end));
    requestAnimationFrame(() => {
      field?.focus();
      field?.setSelectionRange(start + token.length, start + token.length);
    });
  }

  return (
    <Stack gap={4}>
      {multiline ? (
        <Textarea
          ref={ref}
          label={label}
          value={value}
          autosize
          minRows={3}
          maxRows={12}
          withAsterisk={required}
          error={error}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      ) : (
        <TextInput
          ref={ref}
          label={label}
          value={value}
          withAsterisk={required}
          error={error}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      )}
      <NativeSelect
        label="Insert variable"
        size="xs"
        value=""
        onChange={(e) => insert(e.currentTarget.value)}
        data={[
          { value: '', label: 'choose a variable…' },
          ...TEMPLATE_VARIABLES.map((v) => ({ value: v.path, label: `${v.label} ({{${v.path}}})` })),
        ]}
      />
    </Stack>
  );
}
