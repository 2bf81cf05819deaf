import { Alert, Button, Fieldset, List, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useId } from 'react';
import { isBlocking, type FlowProblem } from '../../../engine/flows/flow-problem.ts';
import { findNodeDefinition } from '../../../engine/flows/node-catalog.ts';
import type { EditorNode, FlowNodeData } from '../canvas/flow-mapping.ts';
import { ConfigForm, fieldErrorsOf, fieldKeyOf } from '../forms/config-form.tsx';
import { configJsonSchema } from '../forms/json-schema.ts';
import { SendMessageSettings } from '../forms/send-message-settings.tsx';

/** Where each output of the node leads, and the nodes it may lead to. */
export interface NodeConnections {
  outputs: readonly { port: string; label: string; target: string | null }[];
  targets: readonly { id: string; label: string }[];
  /** Connects the output to the target, or disconnects it when the target is null. */
  connect(port: string, target: string | null): void;
}

/** The value of "no next step" in a connection picker (a node id is never empty). */
const NO_TARGET = '';

/**
 * The selected node's name, settings (generated from its schema), problems and connections.
 * A problem about one field shows on that field; the others (connections, the node as a whole)
 * are listed above the form. The connection pickers name nodes by their labels, and are the
 * keyboard's way to draw edges: dragging needs a pointer.
 */
export function NodePanel({
  node,
  problems,
  connections,
  onChange,
  onDelete,
}: {
  node: EditorNode;
  problems: readonly FlowProblem[];
  connections: NodeConnections;
  onChange: (data: FlowNodeData) => void;
  onDelete: () => void;
}) {
  const id = useId();
  const definition = findNodeDefinition(node.data.kind);
  const schema = configJsonSchema(node.data.kind);
  const fieldErrors = fieldErrorsOf(problems);
  const general = problems.filter((p) => !(p.path && fieldKeyOf(p.path) && fieldErrors.has(fieldKeyOf(p.path)!)));
  const targets = [
    { value: NO_TARGET, label: 'None (the run ends here)' },
    ...connections.targets.map((t) => ({ value: t.id, label: t.label })),
  ];
  return (
    <Stack component="section" className="panel node-panel" aria-labelledby={`${id}-title`} gap="sm">
      <div>
        <Title order={2} size="h4" id={`${id}-title`}>
          {definition?.label ?? node.data.kind}
        </Title>
        {definition && (
          <Text size="sm" c="dimmed">
            {definition.description}
          </Text>
        )}
      </div>
      {general.length > 0 && (
        <Alert color={general.some(isBlocking) ? 'red' : 'yellow'} variant="light" p="xs" aria-label="Problems of this node">
          <List size="sm" spacing={2}>
            {general.map((p, i) => (
              <List.Item key={i}>{p.message}</List.Item>
            ))}
          </List>
        </Alert>
      )}
      <TextInput
        label="Name on the canvas"
        value={node.data.label ?? ''}
        maxLength={100}
        placeholder={definition?.label}
        onChange={(e) => {
          const { label: _old, ...rest } = node.data;
          const next = e.currentTarget.value;
          onChange(next.trim() === '' ? rest : { ...rest, label: next });
        }}
      />
      {schema && node.data.kind === 'send_message' ? (
        <SendMessageSettings
          schema={schema}
          value={node.data.config}
          errors={fieldErrors}
          onChange={(config) => onChange({ ...node.data, config })}
        />
      ) : schema ? (
        <ConfigForm
          schema={schema}
          value={node.data.config}
          errors={fieldErrors}
          onChange={(config) => onChange({ ...node.data, config })}
        />
      ) : (
        <Alert color="red" variant="light">
          This kind of node is unknown to this version: delete it.
        </Alert>
      )}
      {connections.outputs.length > 0 && (
        <Fieldset legend="Connections" variant="filled" p="sm">
          <Stack gap="xs">
            {connections.outputs.map((output) => (
              <Select
                key={output.port}
                label={connections.outputs.length === 1 ? 'Next step' : `Next step when “${output.label}”`}
                data={targets}
                value={output.target ?? NO_TARGET}
                searchable
                allowDeselect={false}
                nothingFoundMessage="No node has that name"
                comboboxProps={{ withinPortal: true }}
                onChange={(target) => connections.connect(output.port, target ? target : null)}
              />
            ))}
          </Stack>
        </Fieldset>
      )}
      <Button variant="outline" color="red" onClick={onDelete} style={{ alignSelf: 'flex-start' }}>
        Delete node
      </Button>
    </Stack>
  );
}
