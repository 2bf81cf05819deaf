import { useId } from 'react';
import { TEMPLATE_VARIABLES, type TemplateVariable } from './template-variables.ts';
import { conditionToRule, newRow, OPERATOR_IDS, OPERATORS, parseCondition, type ConditionGroup, type ConditionRow, type OperatorId } from './condition-model.ts';
import { JsonField } from './json-field.tsx';

/** Most nesting the builder offers; deeper rules are still possible as raw JSON. */
const MAX_GROUP_DEPTH = 3;

/**
 * A json-logic condition as AND/OR groups of rows, with the raw JSON beside it. Both edit the
 * same value: the builder writes the rule, and the JSON view re-reads it, and back.
 */
export function ConditionBuilder({ label, value, onChange, variables = TEMPLATE_VARIABLES }: { label: string; value: unknown; onChange: (rule: unknown) => void; variables?: readonly TemplateVariable[] }) {
  const id = useId();
  const model = parseCondition(value);
  return (
    <fieldset className="field condition-builder">
      <legend>{label}</legend>
      {model ? (
        <GroupEditor group={model} depth={0} idPrefix={id} variables={variables} onChange={(group) => onChange(conditionToRule(group))} />
      ) : (
        <p className="hint">This rule uses operators the builder does not show; edit it as JSON below.</p>
      )}
      <JsonField label={`${label} as JSON`} value={value} onChange={onChange} rows={4} />
    </fieldset>
  );
}

function GroupEditor({ group, depth, idPrefix, variables, onChange, onRemove }: { group: ConditionGroup; depth: number; idPrefix: string; variables: readonly TemplateVariable[]; onChange: (g: ConditionGroup) => void; onRemove?: () => void }) {
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
          <RowEditor key={index} row={child} idPrefix={`${idPrefix}-${depth}-${index}`} variables={variables} onChange={(r) => replaceChild(index, r)} onRemove={() => replaceChild(index, null)} />
        ) : (
          <GroupEditor key={index} group={child} depth={depth + 1} idPrefix={`${idPrefix}-${depth}-${index}`} variables={variables} onChange={(g) => replaceChild(index, g)} onRemove={() => replaceChild(index, null)} />
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

function RowEditor({ row, idPrefix, variables, onChange, onRemove }: { row: ConditionRow; idPrefix: string; variables: readonly TemplateVariable[]; onChange: (r: ConditionRow) => void; onRemove: () => void }) {
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
