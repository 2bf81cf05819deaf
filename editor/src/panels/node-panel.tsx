import { useId } from 'react';
import type { FlowProblem } from '../../../engine/flows/flow-problem.ts';
import { findNodeDefinition } from '../../../engine/flows/node-catalog.ts';
import type { EditorNode, FlowNodeData } from '../canvas/flow-mapping.ts';
import { ConfigForm } from '../forms/config-form.tsx';
import { configJsonSchema } from '../forms/json-schema.ts';

/** The selected node's name, settings (generated from its schema) and problems. */
export function NodePanel({ node, problems, onChange, onDelete }: { node: EditorNode; problems: readonly FlowProblem[]; onChange: (data: FlowNodeData) => void; onDelete: () => void }) {
  const id = useId();
  const definition = findNodeDefinition(node.data.kind);
  const schema = configJsonSchema(node.data.kind);
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{definition?.label ?? node.data.kind}</h2>
      {definition && <p className="muted">{definition.description}</p>}
      {problems.length > 0 && (
        <ul className="problems" aria-label="Problems of this node">
          {problems.map((p, i) => (
            <li key={i}>{p.message}</li>
          ))}
        </ul>
      )}
      <div className="field">
        <label htmlFor={`${id}-label`}>Name on the canvas</label>
        <input
          id={`${id}-label`}
          value={node.data.label ?? ''}
          maxLength={100}
          placeholder={definition?.label}
          onChange={(e) => {
            const { label: _old, ...rest } = node.data;
            onChange(e.target.value.trim() === '' ? rest : { ...rest, label: e.target.value });
          }}
        />
      </div>
      {schema ? <ConfigForm schema={schema} value={node.data.config} onChange={(config) => onChange({ ...node.data, config })} /> : <p className="error">Unknown node type: delete this node.</p>}
      <button type="button" className="danger" onClick={onDelete}>
        Delete node
      </button>
    </section>
  );
}
