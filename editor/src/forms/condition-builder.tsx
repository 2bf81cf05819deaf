import { Button, Collapse, NativeSelect, TextInput } from '@mantine/core';
import { useId, useState } from 'react';
import { TEMPLATE_VARIABLES, type TemplateVariable } from './template-variables.ts';
import { conditionToRule, newRow, OPERATOR_IDS, OPERATORS, parseCondition, type ConditionGroup, type ConditionRow, type OperatorId } from './condition-model.ts';
import { JsonField } from './json-field.tsx';
import { ATTRIBUTE_PREFIX, SEGMENT_FIELDS, segmentFieldOf } from './segment-fields.ts';

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
export function ConditionBuilder({ label, value, onChange, variables = TEMPLATE_VARIABLES, fields = 'free' }: { label: string; value: unknown; onChange: (rule: unknown) => void; variables?: readonly TemplateVariable[]; fields?: FieldChoice }) {
  const id = useId();
  const model = parseCondition(value);
  const [advanced, setAdvanced] = useState(false);
  const json = <JsonField label={`${label} as JSON`} value={value} onChange={onChange} rows={4} />;
  return (
    <fieldset className="field condition-builder">
      <legend>{label}</legend>
      {model ? (
        <GroupEditor group={model} depth={0} idPrefix={id} variables={variables} fields={fields} onChange={(group) => onChange(conditionToRule(group))} />
      ) : (
        <p className="hint">This rule uses operators the builder does not show; edit it as JSON below.</p>
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
    </fieldset>
  );
}

function GroupEditor({ group, depth, idPrefix, variables, fields, onChange, onRemove }: { group: ConditionGroup; depth: number; idPrefix: string; variables: readonly TemplateVariable[]; fields: FieldChoice; onChange: (g: ConditionGroup) => void; onRemove?: () => void }) {
  // A flow condition's new row starts on the message text; a custom list's on its first variable (a segment's, on contact tags).
  const freshRow = () => newRow(variables === TEMPLATE_VARIABLES ? undefined : variables[0]?.path);
  const replaceChild = (index: number, child: ConditionRow | ConditionGroup | null) => {
    const children = [...group.children];
    if (child === null) children.splice(index, 1);
    else children[index] = child;
    onChange({ ...group, children });
  };
  return (
    <div className="condition-group" role="group" aria-label={depth === 0 ? 'Conditions' : 'Condition group'}>
      <div className="row">
        <label className="inline">
          Match
          <select value={group.combinator} onChange={(e) => onChange({ ...group, combinator: e.target.value as 'and' | 'or' })}>
            <option value="and">all of (AND)</option>
            <option value="or">any of (OR)</option>
          </select>
        </label>
        {onRemove && (
          <button type="button" className="secondary" onClick={onRemove}>
            Remove group
          </button>
        )}
      </div>
      {group.children.map((child, index) =>
        child.kind === 'row' ? (
          <RowEditor key={index} row={child} idPrefix={`${idPrefix}-${depth}-${index}`} variables={variables} fields={fields} onChange={(r) => replaceChild(index, r)} onRemove={() => replaceChild(index, null)} />
        ) : (
          <GroupEditor key={index} group={child} depth={depth + 1} idPrefix={`${idPrefix}-${depth}-${index}`} variables={variables} fields={fields} onChange={(g) => replaceChild(index, g)} onRemove={() => replaceChild(index, null)} />
        ),
      )}
      <div className="row">
        <button type="button" className="secondary" onClick={() => onChange({ ...group, children: [...group.children, freshRow()] })}>
          Add condition
        </button>
        {depth < MAX_GROUP_DEPTH && (
          <button type="button" className="secondary" onClick={() => onChange({ ...group, children: [...group.children, { kind: 'group', combinator: group.combinator === 'and' ? 'or' : 'and', children: [freshRow()] }] })}>
            Add group
          </button>
        )}
      </div>
    </div>
  );
}

function RowEditor({ row, idPrefix, variables, fields, onChange, onRemove }: { row: ConditionRow; idPrefix: string; variables: readonly TemplateVariable[]; fields: FieldChoice; onChange: (r: ConditionRow) => void; onRemove: () => void }) {
  if (fields === 'segment') return <SegmentRowEditor row={row} onChange={onChange} onRemove={onRemove} />;
  const spec = OPERATORS[row.operator];
  return (
    <div className="condition-row">
      <label>
        Field
        <input list={`${idPrefix}-fields`} value={row.field} onChange={(e) => onChange({ ...row, field: e.target.value })} />
      </label>
      <datalist id={`${idPrefix}-fields`}>
        {variables.map((v) => (
          <option key={v.path} value={v.path}>
            {v.label}
          </option>
        ))}
      </datalist>
      <label>
        Operator
        <select value={row.operator} onChange={(e) => onChange({ ...row, operator: e.target.value as OperatorId })}>
          {OPERATOR_IDS.map((op) => (
            <option key={op} value={op}>
              {OPERATORS[op].label}
            </option>
          ))}
        </select>
      </label>
      {spec.takesValue && (
        <label>
          Value
          <input value={row.value} onChange={(e) => onChange({ ...row, value: e.target.value })} />
        </label>
      )}
      <button type="button" className="secondary" aria-label="Remove condition" onClick={onRemove}>
        ×
      </button>
    </div>
  );
}

/** A segment row: a contact fact from the list (an attribute by its name), an operator from the list, a value. */
function SegmentRowEditor({ row, onChange, onRemove }: { row: ConditionRow; onChange: (r: ConditionRow) => void; onRemove: () => void }) {
  const spec = OPERATORS[row.operator];
  const known = segmentFieldOf(row.field);
  // A path typed in the JSON that is not in the list stays selectable as itself.
  const options = [...SEGMENT_FIELDS.map((f) => ({ value: f.path, label: f.label })), ...(known ? [] : [{ value: row.field, label: row.field }])];
  return (
    <div className="condition-row">
      <NativeSelect
        label="Field"
        value={known?.field.path ?? row.field}
        data={options}
        onChange={(e) => {
          const path = e.currentTarget.value;
          onChange({ ...row, field: path === ATTRIBUTE_PREFIX ? `${ATTRIBUTE_PREFIX}${known?.attribute ?? ''}` : path });
        }}
      />
      {known && known.attribute !== null && (
        <TextInput label="Attribute name" value={known.attribute ?? ''} placeholder="plan" onChange={(e) => onChange({ ...row, field: `${ATTRIBUTE_PREFIX}${e.currentTarget.value.trim()}` })} />
      )}
      <NativeSelect label="Operator" value={row.operator} data={OPERATOR_IDS.map((op) => ({ value: op, label: OPERATORS[op].label }))} onChange={(e) => onChange({ ...row, operator: e.currentTarget.value as OperatorId })} />
      {spec.takesValue && <TextInput label="Value" value={row.value} placeholder={known?.field.placeholder} onChange={(e) => onChange({ ...row, value: e.currentTarget.value })} />}
      <Button variant="default" aria-label="Remove condition" onClick={onRemove} mt={24}>
        ×
      </Button>
    </div>
  );
}
