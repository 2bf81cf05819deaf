import { useId } from 'react';
import type { FlowProblem } from '../../../engine/flows/flow-problem.ts';
import { findNodeDefinition } from '../../../engine/flows/node-catalog.ts';
import type { EditorNode, FlowNodeData } from '../canvas/flow-mapping.ts';
import { ConfigForm, fieldErrorsOf } from '../forms/config-form.tsx';
import { configJsonSchema } from '../forms/json-schema.ts';

/** Where each output of the node leads, and the nodes it may lead to. */
export interface NodeConnections {
  outputs: readonly { port: string; label: string; target: string | null }[];
  targets: readonly { id: string; label: string }[];
  /** Connects the output to the target, or disconnects it when the target is null. */
  connect(port: string, target: string | null): void;
}

/**
 * The selected node's name, settings (generated from its schema), problems and connections.
 * The connection choosers are the keyboard's way to draw edges: dragging needs a pointer.
 */
export function NodePanel({ node, problems, connections, onChange, onDelete }: { node: EditorNode; problems: readonly FlowProblem[]; connections: NodeConnections; onChange: (data: FlowNodeData) => void; onDelete: () => void }) {
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
      {schema ? <ConfigForm schema={schema} value={node.data.config} errors={fieldErrorsOf(problems)} onChange={(config) => onChange({ ...node.data, config })} /> : <p className="error">Unknown node type: delete this node.</p>}
      {connections.outputs.length > 0 && (
        <fieldset className="field">
          <legend>Connections</legend>
          {connections.outputs.map((output) => (
            <label key={output.port}>
              {connections.outputs.length === 1 ? 'Next step' : `Next step when “${output.label}”`}
              <select value={output.target ?? ''} onChange={(e) => connections.connect(output.port, e.target.value || null)}>
                <option value="">none (the run ends)</option>
                {connections.targets.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.label}
                  </option>
                ))}
              </select>
            </label>
          ))}
        </fieldset>
      )}
      <button type="button" className="danger" onClick={onDelete}>
        Delete node
      </button>
    </section>
  );
}
