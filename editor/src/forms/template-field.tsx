import { useId, useRef } from 'react';
import { TEMPLATE_VARIABLES } from './template-variables.ts';

/** A text (or one-line) field for templates, with a picker that inserts `{{variable}}` at the cursor. */
export function TemplateField({ label, value, onChange, multiline, required }: { label: string; value: string; onChange: (value: string) => void; multiline: boolean; required?: boolean }) {
  const id = useId();
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
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {multiline ? (
        <textarea id={id} ref={ref} value={value} rows={3} required={required} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input id={id} ref={ref} value={value} required={required} onChange={(e) => onChange(e.target.value)} />
      )}
      <label className="inline small">
        Insert variable
        <select value="" onChange={(e) => insert(e.target.value)}>
          <option value="">choose…</option>
          {TEMPLATE_VARIABLES.map((v) => (
            <option key={v.path} value={v.path}>
              {v.label} ({`{{${v.path}}}`})
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
