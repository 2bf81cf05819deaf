import { createContext, useContext, useId, type ReactNode } from 'react';
import { ConditionBuilder } from './condition-builder.tsx';
import { CronField } from './cron-field.tsx';
import { DurationField } from './duration-field.tsx';
import { JsonField } from './json-field.tsx';
import { defaultFor, discriminatorOf, humanize, isDuration, isJsonValue, type JsonSchema } from './json-schema.ts';
import { StringListField } from './string-list-field.tsx';
import { TemplateField } from './template-field.tsx';
import { TimezoneField } from './timezone-field.tsx';

/** Fields holding templates, which get the variable picker; the first ones are long texts. */
const MULTILINE_TEMPLATE_FIELDS = new Set(['text', 'prompt', 'retryPrompt']);
const TEMPLATE_FIELDS = new Set([...MULTILINE_TEMPLATE_FIELDS, 'value', 'url', 'mediaUrl']);
/** Fields holding a json-logic rule, which get the condition builder. */
const CONDITION_FIELDS = new Set(['rule', 'condition']);
const TIME_OF_DAY_PATTERN = '^([01]\\d|2[0-3]):[0-5]\\d$';

type Value = unknown;
type Change = (value: Value) => void;

/**
 * A node's config form, generated from the JSON Schema of its zod config schema. Controls are
 * chosen by shape first (durations, discriminated unions, lists) and by well-known field names
 * second (templates, conditions, cron, time zones); anything unrecognised is raw JSON, so no
 * config is ever uneditable.
 */
export function ConfigForm({ schema, value, onChange, errors }: { schema: JsonSchema; value: Value; onChange: Change; errors?: ReadonlyMap<string, readonly string[]> }) {
  return (
    <div className="config-form">
      <FieldErrorsContext.Provider value={errors ?? NO_ERRORS}>
        <SchemaField name="" label="Settings" schema={schema} value={value} onChange={onChange} required root />
      </FieldErrorsContext.Provider>
    </div>
  );
}

/**
 * Validation problems by the field they concern, keyed by the field's path inside the config
 * with list positions left out (`match/keywords`): the problem shows under that field, which is
 * marked invalid. Built by `fieldErrorsOf` from the problems' `path`.
 */
const FieldErrorsContext = createContext<ReadonlyMap<string, readonly string[]>>(new Map());
const NO_ERRORS: ReadonlyMap<string, readonly string[]> = new Map();
/** Where the fields being drawn sit in the config (`match`), so that a nested object knows its children's paths. */
const FieldPathContext = createContext('');

/** The key a problem's path (from the document root) gives its field: `["nodes", 1, "config", "match", "keywords", 0]` → `match/keywords`. */
export function fieldKeyOf(path: readonly (string | number)[]): string | null {
  const at = path.indexOf('config');
  if (at < 0) return null;
  return path.slice(at + 1).filter((p): p is string => typeof p === 'string').join('/');
}

/** The problems' messages by field, for ConfigForm's `errors`. The message loses its field prefix: it shows under the field. */
export function fieldErrorsOf(problems: readonly { path?: readonly (string | number)[] | undefined; message: string }[]): Map<string, string[]> {
  const byField = new Map<string, string[]>();
  for (const problem of problems) {
    const key = problem.path ? fieldKeyOf(problem.path) : null;
    if (!key) continue;
    const message = problem.message.replace(/^[^:]{1,80}: /, '');
    byField.set(key, [...(byField.get(key) ?? []), message]);
  }
  return byField;
}

interface FieldProps {
  name: string;
  label: string;
  schema: JsonSchema;
  value: Value;
  onChange: Change;
  required: boolean;
  root?: boolean;
}

function SchemaField(props: FieldProps) {
  const { name, label, schema, value, onChange, required } = props;
  if (isJsonValue(schema)) {
    if (CONDITION_FIELDS.has(name)) {
      if (value === undefined && !required) return <OptionalAdd label={label} onAdd={() => onChange({ '==': [{ var: 'message.text' }, ''] })} />;
      return (
        <Removable show={!required} label={label} onRemove={() => onChange(undefined)}>
          <ConditionBuilder label={label} value={value} onChange={onChange} />
        </Removable>
      );
    }
    return <JsonField label={label} value={value} onChange={onChange} />;
  }
  if (isDuration(schema)) return <DurationField label={label} value={value as never} onChange={onChange} />;
  if (schema.oneOf) return <VariantField {...props} />;
  if (schema.anyOf) return <AnyOfField {...props} />;
  switch (schema.type) {
    case 'object':
      return <ObjectField {...props} />;
    case 'array':
      return <ArrayField {...props} />;
    case 'boolean':
      return <CheckboxField label={label} value={value === undefined ? schema.default === true : value === true} onChange={onChange} />;
    case 'integer':
    case 'number':
      return <NumberField {...props} />;
    case 'string':
      return <StringField {...props} />;
    default:
      return <JsonField label={label} value={value} onChange={onChange} />;
  }
}

function ObjectField({ label, schema, value, onChange, root }: FieldProps) {
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, Value>;
  const errors = useContext(FieldErrorsContext);
  const prefix = useContext(FieldPathContext);
  const entries = Object.entries(schema.properties ?? {});
  if (entries.length === 0) return root ? <p className="muted">This node has no settings.</p> : null;
  const body = entries.map(([key, child]) => {
    const path = prefix ? `${prefix}/${key}` : key;
    const messages = errors.get(path);
    const field = (
      <FieldPathContext.Provider value={path}>
        <SchemaField
          name={key}
          label={humanize(key)}
          schema={child}
          value={record[key]}
          required={schema.required?.includes(key) ?? false}
          onChange={(next) => {
            const copy = { ...record };
            if (next === undefined) delete copy[key];
            else copy[key] = next;
            onChange(copy);
          }}
        />
      </FieldPathContext.Provider>
    );
    if (!messages?.length) return <div key={key} className="field-slot">{field}</div>;
    return (
      <div key={key} className="field-slot has-error" data-field-error={path}>
        {field}
        {messages.map((m, i) => (
          <p key={i} className="field-error" role="alert">
            {m}
          </p>
        ))}
      </div>
    );
  });
  if (root) return <>{body}</>;
  return (
    <fieldset className="field">
      <legend>{label}</legend>
      {body}
    </fieldset>
  );
}

/** A `oneOf` of objects told apart by a const property (match kind, delay mode, validation kind). */
function VariantField({ name, label, schema, value, onChange, required, root }: FieldProps) {
  const id = useId();
  const key = discriminatorOf(schema);
  const record = (typeof value === 'object' && value !== null ? value : undefined) as Record<string, Value> | undefined;
  if (key === null) return <JsonField label={label} value={value} onChange={onChange} />;
  const variants = schema.oneOf!;
  const current = variants.find((v) => v.properties?.[key]?.const === record?.[key]);
  const rest: JsonSchema | undefined = current && { ...current, properties: Object.fromEntries(Object.entries(current.properties ?? {}).filter(([k]) => k !== key)) };
  return (
    <fieldset className="field">
      {!root && <legend>{label}</legend>}
      <label htmlFor={id}>{root ? humanize(key) : `${label}: ${humanize(key).toLowerCase()}`}</label>
      <select
        id={id}
        value={record === undefined ? '' : String(record[key])}
        onChange={(e) => {
          if (e.target.value === '') return onChange(undefined);
          const variant = variants.find((v) => String(v.properties?.[key]?.const) === e.target.value)!;
          onChange(defaultFor({ ...variant, default: undefined }));
        }}
      >
        {(record === undefined || !required) && <option value="">{record === undefined ? 'choose…' : 'none'}</option>}
        {variants.map((v) => {
          const option = String(v.properties?.[key]?.const);
          return (
            <option key={option} value={option}>
              {humanize(option)}
            </option>
          );
        })}
      </select>
      {rest && record && <ObjectField name={name} label={label} schema={rest} value={record} required onChange={(next) => onChange({ ...(next as object), [key]: record[key] })} root />}
    </fieldset>
  );
}

/** An `anyOf`: strings of several patterns are one text field; a const beside a list is a choice ("all" or some). */
function AnyOfField(props: FieldProps) {
  const { label, schema, value, onChange } = props;
  const options = schema.anyOf!;
  if (options.every((o) => o.type === 'string')) return <StringField {...props} schema={{ type: 'string' }} />;
  const constant = options.find((o) => o.const !== undefined);
  const other = options.find((o) => o.const === undefined);
  if (constant && other) {
    const isConst = value === undefined || value === constant.const;
    return (
      <fieldset className="field">
        <legend>{label}</legend>
        <CheckboxField label={`${humanize(String(constant.const))} ${label.toLowerCase()}`} value={isConst} onChange={(checked) => onChange(checked ? constant.const : defaultFor(other))} />
        {!isConst && <SchemaField {...props} label={`Which ${label.toLowerCase()}`} schema={other} />}
      </fieldset>
    );
  }
  return <JsonField label={label} value={value} onChange={onChange} />;
}

function ArrayField({ label, schema, value, onChange }: FieldProps) {
  const items = Array.isArray(value) ? value : [];
  const itemSchema = schema.items ?? {};
  if (itemSchema.type === 'string' && !itemSchema.enum) return <StringListField label={label} values={items as string[]} onChange={onChange} />;
  return (
    <fieldset className="field">
      <legend>{label}</legend>
      {items.map((item, index) => (
        <div key={index} className="array-item">
          <SchemaField
            name=""
            label={`${label} ${index + 1}`}
            schema={itemSchema}
            value={item}
            required
            onChange={(next) => onChange(items.map((it, i) => (i === index ? next : it)))}
          />
          <button type="button" className="secondary" onClick={() => onChange(items.filter((_, i) => i !== index))} disabled={items.length <= (schema.minItems ?? 0)}>
            Remove {label.toLowerCase()} {index + 1}
          </button>
        </div>
      ))}
      <button type="button" className="secondary" disabled={schema.maxItems !== undefined && items.length >= schema.maxItems} onClick={() => onChange([...items, defaultFor(itemSchema)])}>
        Add to {label.toLowerCase()}
      </button>
    </fieldset>
  );
}

function StringField({ name, label, schema, value, onChange, required }: FieldProps) {
  const id = useId();
  const text = typeof value === 'string' ? value : '';
  // An optional field left empty is absent, not "" (which its schema may refuse).
  const set = (next: string) => onChange(next === '' && !required ? undefined : next);
  if (schema.const !== undefined) return null;
  if (name === 'cron') return <CronField label={label} value={text} onChange={set} />;
  if (name === 'timezone') return <TimezoneField label={label} value={value as string | undefined} onChange={onChange} />;
  if (TEMPLATE_FIELDS.has(name)) return <TemplateField label={label} value={text} onChange={set} multiline={MULTILINE_TEMPLATE_FIELDS.has(name)} required={required} />;
  if (schema.enum) {
    return (
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <select id={id} value={text || String(schema.default ?? '')} onChange={(e) => set(e.target.value)}>
          {!required && schema.default === undefined && <option value="">none</option>}
          {schema.enum.map((option) => (
            <option key={String(option)} value={String(option)}>
              {humanize(String(option))}
            </option>
          ))}
        </select>
      </div>
    );
  }
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type={schema.pattern === TIME_OF_DAY_PATTERN ? 'time' : 'text'} value={text} maxLength={schema.maxLength} required={required} onChange={(e) => set(e.target.value)} />
    </div>
  );
}

function NumberField({ label, schema, value, onChange, required }: FieldProps) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        step={schema.type === 'integer' ? 1 : 'any'}
        min={schema.minimum}
        max={schema.maximum}
        placeholder={schema.default === undefined ? undefined : String(schema.default)}
        value={typeof value === 'number' ? value : ''}
        required={required}
        onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
      />
    </div>
  );
}

function CheckboxField({ label, value, onChange }: { label: string; value: boolean; onChange: (value: boolean) => void }) {
  return (
    <label className="inline field">
      <input type="checkbox" checked={value} onChange={(e) => onChange(e.target.checked)} />
      {label}
    </label>
  );
}

function OptionalAdd({ label, onAdd }: { label: string; onAdd: () => void }) {
  return (
    <div className="field">
      <button type="button" className="secondary" onClick={onAdd}>
        Add {label.toLowerCase()}
      </button>
    </div>
  );
}

function Removable({ show, label, onRemove, children }: { show: boolean; label: string; onRemove: () => void; children: ReactNode }) {
  return (
    <div>
      {children}
      {show && (
        <button type="button" className="secondary" onClick={onRemove}>
          Remove {label.toLowerCase()}
        </button>
      )}
    </div>
  );
}
