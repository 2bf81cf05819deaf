import { Button, Checkbox, Fieldset, Group, NumberInput, Stack, Text, TextInput } from '@mantine/core';
import { createContext, useContext, type ReactNode } from 'react';
import { ChoiceField } from './choice-field.tsx';
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
 * config is ever uneditable. A validation problem shows on the field it concerns (`errors`).
 */
export function ConfigForm({
  schema,
  value,
  onChange,
  errors,
}: {
  schema: JsonSchema;
  value: Value;
  onChange: Change;
  errors?: ReadonlyMap<string, readonly string[]>;
}) {
  return (
    <Stack className="config-form" gap="sm">
      <FieldErrorsContext.Provider value={errors ?? NO_ERRORS}>
        <SchemaField name="" label="Settings" schema={schema} value={value} onChange={onChange} required root />
      </FieldErrorsContext.Provider>
    </Stack>
  );
}

/**
 * Validation problems by the field they concern, keyed by the field's path inside the config
 * with list positions left out (`match/keywords`): the problem shows as that field's error.
 * Built by `fieldErrorsOf` from the problems' `path`.
 */
const FieldErrorsContext = createContext<ReadonlyMap<string, readonly string[]>>(new Map());
const NO_ERRORS: ReadonlyMap<string, readonly string[]> = new Map();
/** Where the field being drawn sits in the config (`match/keywords`). */
const FieldPathContext = createContext('');

/** The key a problem's path (from the document root) gives its field: `["nodes", 1, "config", "match", "keywords", 0]` → `match/keywords`. */
export function fieldKeyOf(path: readonly (string | number)[]): string | null {
  const at = path.indexOf('config');
  if (at < 0) return null;
  return path
    .slice(at + 1)
    .filter((p): p is string => typeof p === 'string')
    .join('/');
}

/** The problems' messages by field, for ConfigForm's `errors`. The message loses its field prefix: it shows on the field. */
export function fieldErrorsOf(
  problems: readonly { path?: readonly (string | number)[] | undefined; message: string }[],
): Map<string, string[]> {
  const byField = new Map<string, string[]>();
  for (const problem of problems) {
    const key = problem.path ? fieldKeyOf(problem.path) : null;
    if (!key) continue;
    const message = problem.message.replace(/^[^:]{1,80}: /, '');
    byField.set(key, [...(byField.get(key) ?? []), message]);
  }
  return byField;
}

/** The error of the field being drawn (its problems in one sentence each), or undefined. */
function useFieldError(): string | undefined {
  const messages = useContext(FieldErrorsContext).get(useContext(FieldPathContext));
  return messages?.length ? messages.join(' ') : undefined;
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
  const error = useFieldError();
  if (isJsonValue(schema)) {
    if (CONDITION_FIELDS.has(name)) {
      if (value === undefined && !required)
        return <OptionalAdd label={label} onAdd={() => onChange({ '==': [{ var: 'message.text' }, ''] })} />;
      return (
        <Removable show={!required} label={label} onRemove={() => onChange(undefined)}>
          <ConditionBuilder label={label} value={value} onChange={onChange} />
          {error && <FieldError message={error} />}
        </Removable>
      );
    }
    return <JsonField label={label} value={value} onChange={onChange} error={error} />;
  }
  if (isDuration(schema)) return <DurationField label={label} value={value as never} onChange={onChange} error={error} />;
  if (schema.oneOf) return <VariantField {...props} />;
  if (schema.anyOf) return <AnyOfField {...props} />;
  switch (schema.type) {
    case 'object':
      return <ObjectField {...props} />;
    case 'array':
      return <ArrayField {...props} />;
    case 'boolean':
      return (
        <Checkbox
          label={label}
          checked={value === undefined ? schema.default === true : value === true}
          onChange={(e) => onChange(e.currentTarget.checked)}
          error={error}
        />
      );
    case 'integer':
    case 'number':
      return <NumberField {...props} />;
    case 'string':
      return <StringField {...props} />;
    default:
      return <JsonField label={label} value={value} onChange={onChange} error={error} />;
  }
}

/** A message under a control that has no error slot of its own (the condition builder). */
function FieldError({ message }: { message: string }) {
  return (
    <Text size="sm" c="red.8" fw={600} role="alert">
      {message}
    </Text>
  );
}

function ObjectField({ label, schema, value, onChange, root }: FieldProps) {
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, Value>;
  const errors = useContext(FieldErrorsContext);
  const prefix = useContext(FieldPathContext);
  const entries = Object.entries(schema.properties ?? {});
  if (entries.length === 0)
    return root ? (
      <Text size="sm" c="dimmed">
        This node has no settings.
      </Text>
    ) : null;
  const body = entries.map(([key, child]) => {
    const path = prefix ? `${prefix}/${key}` : key;
    return (
      // data-field-error: the field a problem concerns, for a test or a reader of the page's markup.
      <div key={key} className="field-slot" data-field-error={errors.get(path)?.length ? path : undefined}>
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
      </div>
    );
  });
  if (root) return <>{body}</>;
  return (
    <Fieldset legend={label} variant="filled" p="sm">
      <Stack gap="sm">{body}</Stack>
    </Fieldset>
  );
}

/** A `oneOf` of objects told apart by a const property (match kind, delay mode, validation kind). */
function VariantField({ name, label, schema, value, onChange, required, root }: FieldProps) {
  const key = discriminatorOf(schema);
  const error = useFieldError();
  const record = (typeof value === 'object' && value !== null ? value : undefined) as Record<string, Value> | undefined;
  if (key === null) return <JsonField label={label} value={value} onChange={onChange} error={error} />;
  const variants = schema.oneOf!;
  const current = variants.find((v) => v.properties?.[key]?.const === record?.[key]);
  const rest: JsonSchema | undefined = current && {
    ...current,
    properties: Object.fromEntries(Object.entries(current.properties ?? {}).filter(([k]) => k !== key)),
  };
  const choice = (
    <ChoiceField
      label={root ? humanize(key) : `${label}: ${humanize(key).toLowerCase()}`}
      value={record === undefined ? '' : String(record[key])}
      empty={record !== undefined && !required ? 'none' : undefined}
      error={error}
      options={variants.map((v) => {
        const option = String(v.properties?.[key]?.const);
        return { value: option, label: humanize(option) };
      })}
      onChange={(picked) => {
        if (picked === '') return onChange(undefined);
        const variant = variants.find((v) => String(v.properties?.[key]?.const) === picked)!;
        onChange(defaultFor({ ...variant, default: undefined }));
      }}
    />
  );
  const fields = rest && record && (
    <ObjectField
      name={name}
      label={label}
      schema={rest}
      value={record}
      required
      onChange={(next) => onChange({ ...(next as object), [key]: record[key] })}
      root
    />
  );
  if (root)
    return (
      <>
        {choice}
        {fields}
      </>
    );
  return (
    <Fieldset legend={label} variant="filled" p="sm">
      <Stack gap="sm">
        {choice}
        {fields}
      </Stack>
    </Fieldset>
  );
}

/** An `anyOf`: strings of several patterns are one text field; a const beside a list is a choice ("all" or some). */
function AnyOfField(props: FieldProps) {
  const { label, schema, value, onChange } = props;
  const error = useFieldError();
  const options = schema.anyOf!;
  if (options.every((o) => o.type === 'string')) return <StringField {...props} schema={{ type: 'string' }} />;
  const constant = options.find((o) => o.const !== undefined);
  const other = options.find((o) => o.const === undefined);
  if (constant && other) {
    const isConst = value === undefined || value === constant.const;
    return (
      <Fieldset legend={label} variant="filled" p="sm">
        <Stack gap="sm">
          <Checkbox
            label={`${humanize(String(constant.const))} ${label.toLowerCase()}`}
            checked={isConst}
            onChange={(e) => onChange(e.currentTarget.checked ? constant.const : defaultFor(other))}
            error={error}
          />
          {!isConst && <SchemaField {...props} label={`Which ${label.toLowerCase()}`} schema={other} />}
        </Stack>
      </Fieldset>
    );
  }
  return <JsonField label={label} value={value} onChange={onChange} error={error} />;
}

function ArrayField({ label, schema, value, onChange }: FieldProps) {
  const error = useFieldError();
  const items = Array.isArray(value) ? value : [];
  const itemSchema = schema.items ?? {};
  if (itemSchema.type === 'string' && !itemSchema.enum)
    return <StringListField label={label} values={items as string[]} onChange={onChange} error={error} />;
  return (
    <Fieldset legend={label} variant="filled" p="sm">
      <Stack gap="sm">
        {error && <FieldError message={error} />}
        {items.map((item, index) => (
          <Stack key={index} gap={6} className="array-item">
            <SchemaField
              name=""
              label={`${label} ${index + 1}`}
              schema={itemSchema}
              value={item}
              required
              onChange={(next) => onChange(items.map((it, i) => (i === index ? next : it)))}
            />
            <Group justify="flex-end">
              <Button
                variant="subtle"
                color="red"
                size="xs"
                onClick={() => onChange(items.filter((_, i) => i !== index))}
                disabled={items.length <= (schema.minItems ?? 0)}
              >
                Remove {label.toLowerCase()} {index + 1}
              </Button>
            </Group>
          </Stack>
        ))}
        <Button
          variant="light"
          size="xs"
          disabled={schema.maxItems !== undefined && items.length >= schema.maxItems}
          onClick={() => onChange([...items, defaultFor(itemSchema)])}
        >
          Add to {label.toLowerCase()}
        </Button>
      </Stack>
    </Fieldset>
  );
}

function StringField({ name, label, schema, value, onChange, required }: FieldProps) {
  const error = useFieldError();
  const text = typeof value === 'string' ? value : '';
  // An optional field left empty is absent, not "" (which its schema may refuse).
  const set = (next: string) => onChange(next === '' && !required ? undefined : next);
  if (schema.const !== undefined) return null;
  if (name === 'cron') return <CronField label={label} value={text} onChange={set} error={error} />;
  if (name === 'timezone') return <TimezoneField label={label} value={value as string | undefined} onChange={onChange} error={error} />;
  if (TEMPLATE_FIELDS.has(name))
    return (
      <TemplateField
        label={label}
        value={text}
        onChange={set}
        multiline={MULTILINE_TEMPLATE_FIELDS.has(name)}
        required={required}
        error={error}
      />
    );
  if (schema.enum) {
    return (
      <ChoiceField
        label={label}
        value={text || String(schema.default ?? '')}
        empty={!required && schema.default === undefined ? 'none' : undefined}
        error={error}
        options={schema.enum.map((option) => ({ value: String(option), label: humanize(String(option)) }))}
        onChange={set}
      />
    );
  }
  return (
    <TextInput
      label={label}
      type={schema.pattern === TIME_OF_DAY_PATTERN ? 'time' : 'text'}
      value={text}
      maxLength={schema.maxLength}
      withAsterisk={required}
      error={error}
      onChange={(e) => set(e.currentTarget.value)}
    />
  );
}

function NumberField({ label, schema, value, onChange, required }: FieldProps) {
  const error = useFieldError();
  return (
    <NumberInput
      label={label}
      allowDecimal={schema.type !== 'integer'}
      min={schema.minimum}
      max={schema.maximum}
      placeholder={schema.default === undefined ? undefined : String(schema.default)}
      value={typeof value === 'number' ? value : ''}
      withAsterisk={required}
      error={error}
      onChange={(next) => onChange(next === '' ? undefined : Number(next))}
    />
  );
}

function OptionalAdd({ label, onAdd }: { label: string; onAdd: () => void }) {
  return (
    <Button variant="light" size="xs" onClick={onAdd} style={{ alignSelf: 'flex-start' }}>
      Add {label.toLowerCase()}
    </Button>
  );
}

function Removable({ show, label, onRemove, children }: { show: boolean; label: string; onRemove: () => void; children: ReactNode }) {
  return (
    <Stack gap={6}>
      {children}
      {show && (
        <Group justify="flex-end">
          <Button variant="subtle" color="red" size="xs" onClick={onRemove}>
            Remove {label.toLowerCase()}
          </Button>
        </Group>
      )}
    </Stack>
  );
}
