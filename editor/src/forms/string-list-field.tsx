import { useId, useState, type KeyboardEvent } from 'react';

/** A list of short strings (keywords, choices) as removable chips and an input that adds on Enter. */
export function StringListField({ label, values, onChange }: { label: string; values: readonly string[]; onChange: (values: string[]) => void }) {
  const id = useId();
  const [draft, setDraft] = useState('');

  function add() {
    const value = draft.trim();
    if (!value) return;
    if (!values.includes(value)) onChange([...values, value]);
    setDraft('');
  }
  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'Enter' || event.key === ',') {
      event.preventDefault();
      add();
    } else if (event.key === 'Backspace' && draft === '' && values.length > 0) {
      onChange(values.slice(0, -1));
    }
  }

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <ul className="chips" aria-label={`${label}: current values`}>
        {values.map((value) => (
          <li key={value} className="chip">
            {value}
            <button type="button" className="chip-remove" aria-label={`Remove ${value}`} onClick={() => onChange(values.filter((v) => v !== value))}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <div className="row">
        <input id={id} value={draft} onChange={(e) => setDraft(e.target.value)} onKeyDown={onKeyDown} placeholder="type and press Enter" />
        <button type="button" className="secondary" onClick={add}>
          Add
        </button>
      </div>
    </div>
  );
}
