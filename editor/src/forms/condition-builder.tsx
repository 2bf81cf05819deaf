import { ActionIcon, Autocomplete, Button, Collapse, Fieldset, Group, NativeSelect, Stack, Text, TextInput } from '@mantine/core';
import { useId, useState } from 'react';
import { TEMPLATE_VARIABLES, type TemplateVariable } from './template-variables.ts';
import {
  conditionToRule,
  newRow,
  OPERATOR_IDS,
  OPERATORS,
  parseCondition,
  type ConditionGroup,
  type ConditionRow,
  type OperatorId,
} from './condition-model.ts';
import { JsonField } from './json-field.tsx';
import { ATTRIBUTE_PREFIX, SEGMENT_FIELDS, segmentFieldOf } from './segment-fields.ts';
import { useChannels } from '../api/queries/channels.queries.ts';

/** A field typed as a path (a flow's variables), or picked from the segment's list of contact facts. */
type FieldChoice = 'free' | 'segment';

/** Most nesting the builder offers; deeper rules are still possible as raw JSON. */
const MAX_GROUP_DEPTH = 3;

/**
 * A json-logic condition as AND/OR groups of rows, with the raw JSON beside it. Both edit the
 * same value: the builder writes the rule, and the JSON view re-reads it, and back.
 */
/**
 * `fields="segment"` (a broadcast audience): fields and operators are picked from lists in words,
 * and the JSON is an "Advanced" view, closed unless the rule cannot be shown as rows.
 */
export function ConditionBuilder({
  label,
  value,
  onChange,
  variables = TEMPLATE_VARIABLES,
  fields = 'free',
}: {
  label: string;
  value: unknown;
  onChange: (rule: unknown) => void;
  variables?: readonly TemplateVariable[];
  fields?: FieldChoice;
}) {
  const id = useId();
  const model = parseCondition(value);
  const [advanced, setAdvanced] = useState(false);
  const json = <JsonField label={`${label} as JSON`} value={value} onChange={onChange} rows={4} />;
  return (
    <Fieldset legend={label} className="condition-builder" variant="filled" p="sm">
      {model ? (
        <GroupEditor
          group={model}
          depth={0}
          idPrefix={id}
          variables={variables}
          fields={fields}
          onChange={(group) => onChange(conditionToRule(group))}
        />
      ) : (
        <Text size="sm" c="dimmed">
          This rule uses operators the builder does not show; edit it as JSON below.
        </Text>
      )}
      {fields === 'free' || !model ? (
        json
      ) : (
        <>
          <Button variant="subtle" size="compact-sm" onClick={() => setAdvanced((a) => !a)} aria-expanded={advanced} mt="xs">
            {advanced ? 'Hide the rule as JSON' : 'Advanced: the rule as JSON'}
          </Button>
          <Collapse expanded={advanced}>{advanced && json}</Collapse>
        </>
      )}
    </Fieldset>
  );
}

function GroupEditor({
  group,
  depth,
  idPrefix,
  variables,
  fields,
  onChange,
  onRemove,
}: {
  group: ConditionGroup;
  depth: number;
  idPrefix: string;
  variables: readonly TemplateVariable[];
  fields: FieldChoice;
  onChange: (g: ConditionGroup) => void;
  onRemove?: () => void;
}) {
  // A flow condition's new row starts on the message text; a custom list's on its first variable (a segment's, on contact tags).
  const freshRow = () => newRow(variables === TEMPLATE_VARIABLES ? undefined : variables[0]?.path);
  const replaceChild = (index: number, child: ConditionRow | ConditionGroup | null) => {
    const children = [...group.children];
    if (child === null) children.splice(index, 1);
    else children[index] = child;
    onChange({ ...group, children });
  };
  return (
    <Stack className="condition-group" role="group" aria-label={depth === 0 ? 'Conditions' : 'Condition group'} gap="xs" mb="xs">
      <Group gap="xs" align="flex-end">
        <NativeSelect
          label="Match"
          size="xs"
          value={group.combinator}
          data={[
            { value: 'and', label: 'all of (AND)' },
            { value: 'or', label: 'any of (OR)' },
          ]}
          onChange={(e) => onChange({ ...group, combinator: e.currentTarget.value as 'and' | 'or' })}
        />
        {onRemove && (
          <Button variant="subtle" color="red" size="xs" onClick={onRemove}>
            Remove group
          </Button>
        )}
      </Group>
      {group.children.map((child, index) =>
        child.kind === 'row' ? (
          <RowEditor
            key={index}
            row={child}
            idPrefix={`${idPrefix}-${depth}-${index}`}
            variables={variables}
            fields={fields}
            onChange={(r) => replaceChild(index, r)}
            onRemove={() => replaceChild(index, null)}
          />
        ) : (
          <GroupEditor
            key={index}
            group={child}
            depth={depth + 1}
            idPrefix={`${idPrefix}-${depth}-${index}`}
            variables={variables}
            fields={fields}
            onChange={(g) => replaceChild(index, g)}
            onRemove={() => replaceChild(index, null)}
          />
        ),
      )}
      <Group gap="xs">
        <Button variant="light" size="xs" onClick={() => onChange({ ...group, children: [...group.children, freshRow()] })}>
          Add condition
        </Button>
        {depth < MAX_GROUP_DEPTH && (
          <Button
            variant="light"
            size="xs"
            onClick={() =>
              onChange({
                ...group,
                children: [
                  ...group.children,
                  { kind: 'group', combinator: group.combinator === 'and' ? 'or' : 'and', children: [freshRow()] },
                ],
              })
            }
          >
            Add group
          </Button>
        )}
      </Group>
    </Stack>
  );
}

function RowEditor({
  row,
  idPrefix,
  variables,
  fields,
  onChange,
  onRemove,
}: {
  row: ConditionRow;
  idPrefix: string;
  variables: readonly TemplateVariable[];
  fields: FieldChoice;
  onChange: (r: ConditionRow) => void;
  onRemove: () => void;
}) {
  if (fields === 'segment') return <SegmentRowEditor row={row} onChange={onChange} onRemove={onRemove} />;
  const spec = OPERATORS[row.operator];
  return (
    <div className="condition-row">
      <Autocomplete
        label="Field"
        size="xs"
        value={row.field}
        data={variables.map((v) => ({ value: v.path, label: v.path }))}
        renderOption={({ option }) => `${variables.find((v) => v.path === option.value)?.label ?? option.value} (${option.value})`}
        onChange={(field) => onChange({ ...row, field })}
        id={`${idPrefix}-field`}
      />
      <NativeSelect
        label="Operator"
        size="xs"
        value={row.operator}
        data={OPERATOR_IDS.map((op) => ({ value: op, label: OPERATORS[op].label }))}
        onChange={(e) => onChange({ ...row, operator: e.currentTarget.value as OperatorId })}
      />
      {spec.takesValue && (
        <TextInput label="Value" size="xs" value={row.value} onChange={(e) => onChange({ ...row, value: e.currentTarget.value })} />
      )}
      <ActionIcon variant="default" size="md" aria-label="Remove condition" onClick={onRemove} mt={22}>
        ×
      </ActionIcon>
    </div>
  );
}

/** A segment row: a contact fact from the list (an attribute by its name), an operator from the list, a value. */
function SegmentRowEditor({ row, onChange, onRemove }: { row: ConditionRow; onChange: (r: ConditionRow) => void; onRemove: () => void }) {
  const spec = OPERATORS[row.operator];
  const known = segmentFieldOf(row.field);
  const channels = useChannels();
  const choices =
    known?.field.choices === 'channels' ? (channels.data ?? []).map((c) => ({ value: c.id, label: c.name })) : known?.field.choices;
  // A path typed in the JSON that is not in the list stays selectable as itself.
  const options = [
    ...SEGMENT_FIELDS.map((f) => ({ value: f.path, label: f.label })),
    ...(known ? [] : [{ value: row.field, label: row.field }]),
  ];
  return (
    <div className="condition-row">
      <NativeSelect
        label="Field"
        value={known?.field.path ?? row.field}
        data={options}
        onChange={(e) => {
          const path = e.currentTarget.value;
          const field = SEGMENT_FIELDS.find((f) => f.path === path);
          // A field of fixed values starts on its first one with its own operator ("Channel contains Support line").
          const operator = field?.operator ?? row.operator;
          const value =
            field?.choices === 'channels' ? (channels.data?.[0]?.id ?? '') : field?.choices ? field.choices[0]!.value : row.value;
          onChange({ ...row, field: path === ATTRIBUTE_PREFIX ? `${ATTRIBUTE_PREFIX}${known?.attribute ?? ''}` : path, operator, value });
        }}
      />
      {known && known.attribute !== null && (
        <TextInput
          label="Attribute name"
          value={known.attribute ?? ''}
          placeholder="plan"
          onChange={(e) => onChange({ ...row, field: `${ATTRIBUTE_PREFIX}${e.currentTarget.value.trim()}` })}
        />
      )}
      <NativeSelect
        label="Operator"
        value={row.operator}
        data={OPERATOR_IDS.map((op) => ({ value: op, label: OPERATORS[op].label }))}
        onChange={(e) => onChange({ ...row, operator: e.currentTarget.value as OperatorId })}
      />
      {spec.takesValue &&
        (choices ? (
          <NativeSelect
            label="Value"
            value={row.value}
            // A value typed in the JSON that is not in the list (a deleted channel) stays selectable as itself.
            data={
              choices.some((c) => c.value === row.value)
                ? [...choices]
                : [...choices, { value: row.value, label: row.value === '' ? 'choose…' : row.value }]
            }
            onChange={(e) => onChange({ ...row, value: e.currentTarget.value })}
          />
        ) : (
          <TextInput
            label="Value"
            value={row.value}
            placeholder={known?.field.placeholder}
            onChange={(e) => onChange({ ...row, value: e.currentTarget.value })}
          />
        ))}
      <ActionIcon variant="default" size="lg" aria-label="Remove condition" onClick={onRemove} mt={24}>
        ×
      </ActionIcon>
    </div>
  );
}
