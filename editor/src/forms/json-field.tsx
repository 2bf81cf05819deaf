import { Textarea } from '@mantine/core';
import { useEffect, useState } from 'react';

/**
 * Any JSON value as text. The text is kept while it does not parse (so typing is not
 * interrupted) and the value changes only when it does.
 */
export function JsonField({
  label,
  value,
  onChange,
  rows = 6,
  error,
}: {
  label: string;
  value: unknown;
  onChange: (value: unknown) => void;
  rows?: number;
  error?: string;
}) {
  const [text, setText] = useState(() => stringify(value));
  const [parseError, setParseError] = useState<string | null>(null);
  useEffect(() => {
    // An outside change (the builder, undo) replaces the text unless it already means the same value.
    setText((current) => (sameJson(current, value) ? current : stringify(value)));
  }, [value]);

  return (
    <Textarea
      label={label}
      className="code"
      autosize
      minRows={rows}
      maxRows={20}
      value={text}
      spellCheck={false}
      styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 'var(--mantine-font-size-xs)' } }}
      error={parseError ?? error}
      onChange={(e) => {
        const next = e.currentTarget.value;
        setText(next);
        try {
          const parsed: unknown = next.trim() === '' ? undefined : JSON.parse(next);
          setParseError(null);
          onChange(parsed);
        } catch (err) {
          setParseError(`Not valid JSON yet: ${(err as Error).message}`);
        }
      }}
    />
  );
}

function stringify(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value, null, 2);
}

function sameJson(text: string, value: unknown): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(value);
  } catch {
    return false;
  }
}
