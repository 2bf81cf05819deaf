import { useEffect, useId, useState } from 'react';

/**
 * Any JSON value as text. The text is kept while it does not parse (so typing is not
 * interrupted) and the value changes only when it does.
 */
export function JsonField({ label, value, onChange, rows = 6 }: { label: string; value: unknown; onChange: (value: unknown) => void; rows?: number }) {
  const id = useId();
  const [text, setText] = useState(() => stringify(value));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    // An outside change (the builder, undo) replaces the text unless it already means the same value.
    setText((current) => (sameJson(current, value) ? current : stringify(value)));
  }, [value]);

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        className="code"
        rows={rows}
        value={text}
        spellCheck={false}
        aria-invalid={error !== null}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          try {
            const parsed: unknown = e.target.value.trim() === '' ? undefined : JSON.parse(e.target.value);
            setError(null);
            onChange(parsed);
          } catch (err) {
            setError(`Not valid JSON yet: ${(err as Error).message}`);
          }
        }}
      />
      {error && (
        <p id={`${id}-error`} className="error">
          {error}
        </p>
      )}
    </div>
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
