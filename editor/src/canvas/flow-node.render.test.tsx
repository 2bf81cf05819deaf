// @vitest-environment happy-dom
import { cleanup, render } from '@testing-library/react';
import { ReactFlowProvider, type NodeProps } from '@xyflow/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EMPTY_DECORATIONS, FlowDecorationsContext, type FlowDecorations } from './flow-decorations.ts';
import type { EditorNode } from './flow-mapping.ts';
import { FlowNodeView } from './flow-node.tsx';

afterEach(cleanup);

/** React Flow's props for a node, as it passes them before the node is measured. */
function propsOf(overrides: Partial<NodeProps<EditorNode>> = {}): NodeProps<EditorNode> {
  return {
    id: 'n1',
    type: 'flow',
    data: { kind: 'send_message', config: { text: 'Hello' } },
    selected: false,
    selectable: true,
    draggable: true,
    deletable: true,
    isConnectable: true,
    dragging: false,
    zIndex: 0,
    positionAbsoluteX: 0,
    positionAbsoluteY: 0,
    ...overrides,
  };
}

describe('a node on the canvas', () => {
  it('is not drawn again when React Flow measures it or moves it, only when its data or selection changes', () => {
    // Each render of the node reads its run step once: the count of reads is the count of renders.
    const stepsByNode = { get: vi.fn(() => undefined) };
    const decorations = { ...EMPTY_DECORATIONS, stepsByNode } as unknown as FlowDecorations;
    const ui = (props: NodeProps<EditorNode>) => (
      <ReactFlowProvider>
        <FlowDecorationsContext.Provider value={decorations}>
          <FlowNodeView {...props} />
        </FlowDecorationsContext.Provider>
      </ReactFlowProvider>
    );
    const first = propsOf();
    const view = render(ui(first));
    expect(stepsByNode.get).toHaveBeenCalledTimes(1);

    view.rerender(ui({ ...first, width: 220, height: 85, positionAbsoluteX: 40, positionAbsoluteY: 10, dragging: true, zIndex: 1 }));
    expect(stepsByNode.get).toHaveBeenCalledTimes(1);

    view.rerender(ui({ ...first, selected: true }));
    expect(stepsByNode.get).toHaveBeenCalledTimes(2);
    view.rerender(ui({ ...first, selected: true, data: { kind: 'send_message', label: 'Greeting', config: { text: 'Hello' } } }));
    expect(stepsByNode.get).toHaveBeenCalledTimes(3);
    expect(view.container.querySelector('.flow-node-title')?.textContent).toBe('Greeting');
  });
});
