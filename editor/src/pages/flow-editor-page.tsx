import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useEdgesState,
  useNodesState,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
} from '@xyflow/react';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import type { FlowProblem } from '../../../engine/flows/flow-problem.ts';
import { findNodeDefinition } from '../../../engine/flows/node-catalog.ts';
import { validateFlow } from '../../../engine/flows/validate-flow.ts';
import type { FlowDetail, FlowDocumentJson } from '../api/api-types.ts';
import { takePrefetchedFlow } from '../api/flow-prefetch.ts';
import { connectionRefusal } from '../canvas/connection-rules.ts';
import { EditHistory } from '../canvas/edit-history.ts';
import { FlowDecorationsContext, type FlowDecorations } from '../canvas/flow-decorations.ts';
import { newElementId, nodeAriaLabel, portsOf, TARGET_HANDLE, toCanvas, toDocument, type EditorEdge, type EditorNode, type FlowNodeData } from '../canvas/flow-mapping.ts';
import type { NodeConnections } from '../panels/node-panel.tsx';
import { NODE_TYPES } from '../canvas/flow-node.tsx';
import { Palette, PALETTE_MIME } from '../canvas/palette.tsx';
import { useDraftSaver } from '../canvas/use-draft-saver.ts';
import { useSession } from '../session/session-context.tsx';
import { ProblemsList, problemsByNode } from '../validation/problems-list.tsx';
import { messageOf } from '../error-message.ts';
import { ErrorAlert } from '../error-alert.tsx';

// Loaded when first shown: the canvas of a large flow becomes interactive sooner without the
// forms (and their JSON Schema conversion), the panels and the layout engine in its bundle.
const NodePanel = lazy(() => import('../panels/node-panel.tsx').then((m) => ({ default: m.NodePanel })));
const PublishDialog = lazy(() => import('../panels/publish-dialog.tsx').then((m) => ({ default: m.PublishDialog })));
const RunsPanel = lazy(() => import('../panels/runs-panel.tsx').then((m) => ({ default: m.RunsPanel })));
const TestChatPanel = lazy(() => import('../panels/test-chat-panel.tsx').then((m) => ({ default: m.TestChatPanel })));
const VersionsPanel = lazy(() => import('../panels/versions-panel.tsx').then((m) => ({ default: m.VersionsPanel })));

interface Snapshot {
  nodes: EditorNode[];
  edges: EditorEdge[];
}
/** A run's path drawn on the canvas: node ids in order, and where it failed. */
export interface RunPath {
  nodeIds: readonly string[];
  failedNodeId: string | null;
  /** What the run did at each node it went through (the last step there), drawn on that node. */
  stepsByNode: ReadonlyMap<string, NodeStep>;
}

/** One step of a run as the canvas shows it on its node. */
export interface NodeStep {
  input: unknown;
  output: unknown;
  error: unknown;
  port: string | null;
}
type Tab = 'problems' | 'test' | 'runs' | 'versions';
const EMPTY_STEPS: ReadonlyMap<string, NodeStep> = new Map();

/** Edits that land within this window are one undo step (typing a message is one step, not one per key). */
const UNDO_COALESCE_MS = 300;
/** Validation runs this long after the last edit: instant to a person, and not on every keystroke of a 300-node flow. */
const VALIDATE_DELAY_MS = 120;
const PASTE_OFFSET_PX = 40;
/** About a node's size plus a gap: closer than this, two nodes overlap. */
const NODE_SPACING_X_PX = 240;
const NODE_SPACING_Y_PX = 140;
/** A small flow is shown at its natural size, not blown up to fill the canvas. */
const FIT_VIEW_OPTIONS = { maxZoom: 1 };

/** The flow editor of one flow: palette, canvas, side panels, autosave. */
export function FlowEditorPage({ flowId }: { flowId: string }) {
  return (
    <ReactFlowProvider>
      <FlowEditor flowId={flowId} />
    </ReactFlowProvider>
  );
}

/** Where a node added by keyboard goes: the middle of the view, moved down below any node already there. */
function freeSpotNear(start: { x: number; y: number }, nodes: readonly EditorNode[]): { x: number; y: number } {
  const spot = { ...start };
  const taken = (y: number) => nodes.some((n) => Math.abs(n.position.x - spot.x) < NODE_SPACING_X_PX && Math.abs(n.position.y - y) < NODE_SPACING_Y_PX);
  while (taken(spot.y)) spot.y += NODE_SPACING_Y_PX;
  return spot;
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

function FlowEditor({ flowId }: { flowId: string }) {
  const { api } = useSession();
  const rf = useReactFlow<EditorNode, EditorEdge>();
  const [flow, setFlow] = useState<FlowDetail | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [nodes, setNodes, onNodesChangeBase] = useNodesState<EditorNode>([]);
  const [edges, setEdges, onEdgesChangeBase] = useEdgesState<EditorEdge>([]);
  const [editCount, setEditCount] = useState(0);
  const [problems, setProblems] = useState<FlowProblem[]>([]);
  const [tab, setTab] = useState<Tab>('problems');
  // The test chat mounts when first opened, then stays mounted so its conversation survives tab switches.
  const chatOpened = useRef(false);
  if (tab === 'test') chatOpened.current = true;
  const [runPath, setRunPath] = useState<RunPath | null>(null);
  const [runCounts, setRunCounts] = useState<ReadonlyMap<string, number>>(new Map());
  const [notice, setNotice] = useState<string | null>(null);
  const [publishOpen, setPublishOpen] = useState(false);
  const [, setHistoryTick] = useState(0);
  const wrapper = useRef<HTMLDivElement>(null);
  const nodesRef = useRef(nodes);
  const edgesRef = useRef(edges);
  nodesRef.current = nodes;
  edgesRef.current = edges;
  const history = useRef(new EditHistory<Snapshot>({ nodes: [], edges: [] }));
  const restoring = useRef(false);
  const clipboard = useRef<Snapshot | null>(null);

  const currentDocument = useCallback((): FlowDocumentJson => toDocument(nodesRef.current, edgesRef.current), []);
  const saver = useDraftSaver(api, flow, editCount, currentDocument);
  const markEdited = useCallback(() => setEditCount((c) => c + 1), []);

  useEffect(() => {
    let cancelled = false;
    takePrefetchedFlow(flowId)
      .then((prefetched) => prefetched ?? api.get<FlowDetail>(`/flows/${flowId}`))
      .then(
      (loaded) => {
        if (cancelled) return;
        const canvas = toCanvas(loaded.document);
        setNodes(canvas.nodes);
        setEdges(canvas.edges);
        history.current.reset(canvas);
        setProblems(loaded.problems);
        setFlow(loaded);
      },
      (err: unknown) => !cancelled && setLoadError(messageOf(err)),
    );
    return () => {
      cancelled = true;
    };
  }, [api, flowId, setNodes, setEdges]);

  // The workspace's secret names, so that a misspelt {{secrets.NAME}} shows while editing; when
  // they cannot be read, the server still checks them at publish.
  const [secretNames, setSecretNames] = useState<ReadonlySet<string> | null>(null);
  useEffect(() => {
    let cancelled = false;
    api.get<{ items: { name: string }[] }>('/secrets').then(
      (list) => !cancelled && setSecretNames(new Set(list.items.map((s) => s.name))),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [api]);

  // Validation: the engine's own validateFlow, on the document being edited.
  useEffect(() => {
    if (editCount === 0) return;
    const timer = setTimeout(() => {
      const result = validateFlow(currentDocument(), secretNames ? { secretNames } : {});
      setProblems(result.ok ? result.warnings : result.problems);
    }, VALIDATE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [editCount, currentDocument, secretNames]);

  // Undo steps: a snapshot after each burst of edits, except the edits that undo/redo make.
  useEffect(() => {
    if (editCount === 0) return;
    if (restoring.current) {
      restoring.current = false;
      return;
    }
    const timer = setTimeout(() => {
      history.current.record({ nodes: nodesRef.current, edges: edgesRef.current });
      setHistoryTick((t) => t + 1);
    }, UNDO_COALESCE_MS);
    return () => clearTimeout(timer);
  }, [editCount]);

  const restore = useCallback(
    (snapshot: Snapshot | undefined) => {
      if (!snapshot) return;
      restoring.current = true;
      setNodes(snapshot.nodes);
      setEdges(snapshot.edges);
      markEdited();
      setHistoryTick((t) => t + 1);
    },
    [setNodes, setEdges, markEdited],
  );
  const undo = useCallback(() => restore(history.current.undo()), [restore]);
  const redo = useCallback(() => restore(history.current.redo()), [restore]);

  const onNodesChange = useCallback(
    (changes: NodeChange<EditorNode>[]) => {
      onNodesChangeBase(changes);
      if (changes.some((c) => c.type === 'remove' || c.type === 'add' || (c.type === 'position' && !c.dragging && c.position !== undefined))) markEdited();
    },
    [onNodesChangeBase, markEdited],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange<EditorEdge>[]) => {
      onEdgesChangeBase(changes);
      if (changes.some((c) => c.type === 'remove' || c.type === 'add')) markEdited();
    },
    [onEdgesChangeBase, markEdited],
  );

  const isValidConnection = useCallback((c: Connection | EditorEdge) => connectionRefusal(c, nodesRef.current, edgesRef.current) === null, []);
  const onConnect = useCallback(
    (c: Connection) => {
      if (connectionRefusal(c, nodesRef.current, edgesRef.current) !== null) return;
      setEdges((es) => [...es, { id: newElementId('e'), source: c.source, sourceHandle: c.sourceHandle, target: c.target, targetHandle: TARGET_HANDLE }]);
      markEdited();
    },
    [setEdges, markEdited],
  );
  // A drop that made no edge says why, also when it landed on a node body with no input (a trigger).
  const onConnectEnd = useCallback((event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    if (state.isValid || !state.fromNode) return;
    const point = 'changedTouches' in event ? event.changedTouches[0] : event;
    const under = point ? document.elementFromPoint(point.clientX, point.clientY)?.closest('.react-flow__node')?.getAttribute('data-id') : null;
    const targetId = state.toNode?.id ?? under;
    if (!targetId) return;
    const reason = connectionRefusal({ source: state.fromNode.id, sourceHandle: state.fromHandle?.id ?? null, target: targetId, targetHandle: TARGET_HANDLE }, nodesRef.current, edgesRef.current);
    if (reason) setNotice(`Connection refused: ${reason}.`);
  }, []);

  const addNode = useCallback(
    (type: string, at?: { x: number; y: number }) => {
      const definition = findNodeDefinition(type);
      if (!definition) return;
      let position = at;
      if (!position) {
        const rect = wrapper.current?.getBoundingClientRect();
        const centre = rf.screenToFlowPosition({ x: (rect?.left ?? 0) + (rect?.width ?? 0) / 2, y: (rect?.top ?? 0) + (rect?.height ?? 0) / 2 });
        position = freeSpotNear(centre, nodesRef.current);
        // Moved below other nodes, it may be out of view: follow it, so the user sees what was added.
        if (position.y !== centre.y) void rf.setCenter(position.x, position.y + NODE_SPACING_Y_PX / 2, { zoom: rf.getZoom(), duration: 200 });
      }
      const data: FlowNodeData = { kind: type, config: structuredClone(definition.defaultConfig) };
      const node: EditorNode = { id: newElementId(type.split('_')[0]!), type: 'flow', position, selected: true, data, ariaLabel: nodeAriaLabel(data) };
      setNodes((ns) => [...ns.map((n) => (n.selected ? { ...n, selected: false } : n)), node]);
      markEdited();
    },
    [rf, setNodes, markEdited],
  );

  const onDrop = useCallback(
    (event: DragEvent<HTMLDivElement>) => {
      const type = event.dataTransfer.getData(PALETTE_MIME);
      if (!type) return;
      event.preventDefault();
      addNode(type, rf.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
    },
    [addNode, rf],
  );

  const updateNodeData = useCallback(
    (id: string, data: FlowNodeData) => {
      setNodes((ns) => ns.map((n) => (n.id === id ? { ...n, data, ariaLabel: nodeAriaLabel(data) } : n)));
      markEdited();
    },
    [setNodes, markEdited],
  );

  const deleteNode = useCallback(
    (id: string) => {
      setNodes((ns) => ns.filter((n) => n.id !== id));
      setEdges((es) => es.filter((e) => e.source !== id && e.target !== id));
      markEdited();
    },
    [setNodes, setEdges, markEdited],
  );

  const copy = useCallback(() => {
    const selected = nodesRef.current.filter((n) => n.selected);
    if (selected.length === 0) return;
    const ids = new Set(selected.map((n) => n.id));
    clipboard.current = structuredClone({ nodes: selected, edges: edgesRef.current.filter((e) => ids.has(e.source) && ids.has(e.target)) });
    setNotice(`Copied ${selected.length} ${selected.length === 1 ? 'node' : 'nodes'}.`);
  }, []);
  const paste = useCallback(() => {
    const copied = clipboard.current;
    if (!copied) return;
    const idMap = new Map(copied.nodes.map((n) => [n.id, newElementId(n.data.kind.split('_')[0]!)]));
    const pasted = copied.nodes.map((n): EditorNode => ({ ...structuredClone(n), id: idMap.get(n.id)!, selected: true, position: { x: n.position.x + PASTE_OFFSET_PX, y: n.position.y + PASTE_OFFSET_PX } }));
    const pastedEdges = copied.edges.map((e): EditorEdge => ({ ...e, id: newElementId('e'), source: idMap.get(e.source)!, target: idMap.get(e.target)!, selected: false }));
    setNodes((ns) => [...ns.map((n) => (n.selected ? { ...n, selected: false } : n)), ...pasted]);
    setEdges((es) => [...es, ...pastedEdges]);
    // The next paste lands a step further, not on top of this one.
    clipboard.current = { nodes: pasted, edges: pastedEdges };
    markEdited();
  }, [setNodes, setEdges, markEdited]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (isTyping(event.target) || !(event.ctrlKey || event.metaKey)) return;
      const key = event.key.toLowerCase();
      if (key === 'z' && !event.shiftKey) undo();
      else if ((key === 'z' && event.shiftKey) || key === 'y') redo();
      else if (key === 'c') copy();
      else if (key === 'v') paste();
      else return;
      event.preventDefault();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [undo, redo, copy, paste]);

  const layout = useCallback(async () => {
    const { autoLayout } = await import('../canvas/auto-layout.ts');
    setNodes((ns) => autoLayout(ns, edgesRef.current));
    markEdited();
    requestAnimationFrame(() => void rf.fitView({ duration: 200 }));
  }, [setNodes, markEdited, rf]);

  const jumpTo = useCallback(
    (nodeId: string) => {
      const node = rf.getNode(nodeId);
      if (!node) return;
      setNodes((ns) => ns.map((n) => (n.selected === (n.id === nodeId) ? n : { ...n, selected: n.id === nodeId })));
      void rf.setCenter(node.position.x + (node.measured?.width ?? 200) / 2, node.position.y + (node.measured?.height ?? 80) / 2, { zoom: 1.2, duration: 300 });
    },
    [rf, setNodes],
  );

  const replaceDocument = useCallback(
    (doc: FlowDocumentJson) => {
      const canvas = toCanvas(doc);
      setNodes(canvas.nodes);
      setEdges(canvas.edges);
      markEdited();
      requestAnimationFrame(() => void rf.fitView());
    },
    [setNodes, setEdges, markEdited, rf],
  );

  const problemMap = useMemo(() => problemsByNode(problems), [problems]);
  const decorations = useMemo<FlowDecorations>(
    () => ({ problemsByNode: problemMap, pathNodes: new Set(runPath?.nodeIds ?? []), failedNode: runPath?.failedNodeId ?? null, runCounts, stepsByNode: runPath?.stepsByNode ?? EMPTY_STEPS }),
    [problemMap, runPath, runCounts],
  );
  const shownEdges = useMemo(() => {
    if (!runPath || runPath.nodeIds.length < 2) return edges;
    const hops = new Set(runPath.nodeIds.slice(1).map((target, i) => `${runPath.nodeIds[i]}→${target}`));
    return edges.map((e) => (hops.has(`${e.source}→${e.target}`) ? { ...e, animated: true, className: 'on-path' } : e));
  }, [edges, runPath]);

  const selected = nodes.filter((n) => n.selected);
  const selectedNode = selected.length === 1 ? selected[0]! : null;
  const nodeLabel = useCallback((id: string) => {
    const node = nodesRef.current.find((n) => n.id === id);
    return node ? (node.data.label ?? findNodeDefinition(node.data.kind)?.label ?? node.data.kind) : id;
  }, []);

  const connectionsOf = (node: EditorNode): NodeConnections => ({
    outputs: portsOf(node.data.kind, node.data.config).map((port) => ({ port: port.id, label: port.label, target: edges.find((e) => e.source === node.id && e.sourceHandle === port.id)?.target ?? null })),
    targets: nodes.filter((n) => n.id !== node.id && findNodeDefinition(n.data.kind)?.category !== 'trigger').map((n) => ({ id: n.id, label: `${nodeLabel(n.id)} (${n.id})` })),
    connect(port, target) {
      setEdges((es) => [
        ...es.filter((e) => !(e.source === node.id && e.sourceHandle === port)),
        ...(target ? [{ id: newElementId('e'), source: node.id, sourceHandle: port, target, targetHandle: TARGET_HANDLE }] : []),
      ]);
      markEdited();
    },
  });

  if (loadError) {
    return (
      <main className="page-main">
        <ErrorAlert message={loadError} />
        <a href="#/flows">Back to flows</a>
      </main>
    );
  }

  const saveText: Record<typeof saver.status, string> = { saved: 'All changes saved', unsaved: 'Unsaved changes…', saving: 'Saving…', conflict: 'Not saved: conflict', error: 'Not saved' };

  return (
    <div className="editor">
      <header className="editor-header">
        <a href="#/flows" className="back">
          ← Flows
        </a>
        <h1>{flow?.name ?? 'Loading…'}</h1>
        <span className="muted">{flow?.publishedVersion ? `published v${flow.publishedVersion}${flow.active ? '' : ' (inactive)'}` : 'not published'}</span>
        <span role="status" className={`save-status ${saver.status}`} data-save-status={saver.status}>
          {saveText[saver.status]}
        </span>
        <div className="toolbar-buttons">
          <button type="button" className="secondary" onClick={undo} disabled={!history.current.canUndo} aria-keyshortcuts="Control+Z">
            Undo
          </button>
          <button type="button" className="secondary" onClick={redo} disabled={!history.current.canRedo} aria-keyshortcuts="Control+Shift+Z">
            Redo
          </button>
          <button type="button" className="secondary" onClick={() => void layout()}>
            Auto-layout
          </button>
          <button type="button" className="secondary" onClick={() => void rf.fitView({ duration: 200 })}>
            Fit view
          </button>
          <button type="button" onClick={() => setPublishOpen(true)} disabled={!flow || saver.status === 'conflict'}>
            Publish…
          </button>
        </div>
      </header>
      {saver.error && (
        <div role="alert" className={`banner ${saver.status === 'conflict' ? 'conflict' : 'error'}`}>
          {saver.error}{' '}
          {saver.status === 'conflict' && (
            <button type="button" onClick={() => window.location.reload()}>
              Reload
            </button>
          )}
        </div>
      )}
      {notice && (
        <div className="banner info" role="status">
          {notice}{' '}
          <button type="button" className="link" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      )}
      {publishOpen && flow && (
        <Suspense fallback={null}>
        <PublishDialog
          flowId={flow.id}
          problems={problems}
          saver={saver}
          onClose={() => setPublishOpen(false)}
          onPublished={(published, version) => {
            setFlow((f) => (f ? { ...f, publishedVersion: published.publishedVersion, active: published.active } : f));
            setPublishOpen(false);
            setNotice(`Published version ${version}. It now answers messages.`);
          }}
          onShowProblems={() => {
            setPublishOpen(false);
            setTab('problems');
          }}
        />
        </Suspense>
      )}
      <div className="editor-body">
        <Palette onAdd={(type) => addNode(type)} />
        <div className="canvas" ref={wrapper} onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
          <FlowDecorationsContext.Provider value={decorations}>
            <ReactFlow<EditorNode, EditorEdge>
              nodes={nodes}
              edges={shownEdges}
              nodeTypes={NODE_TYPES}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              onConnectEnd={onConnectEnd}
              isValidConnection={isValidConnection}
              deleteKeyCode={['Delete', 'Backspace']}
              fitView
              fitViewOptions={FIT_VIEW_OPTIONS}
              // Not onlyRenderVisibleElements: a fitted large flow shows every node anyway, and the
              // visibility bookkeeping made loading a 300-node flow ~30% slower (npm run bench -- editor).
              minZoom={0.1}
              aria-label="Flow canvas"
            >
              <Background />
              <Controls />
              <MiniMap pannable zoomable ariaLabel="Minimap" />
            </ReactFlow>
          </FlowDecorationsContext.Provider>
        </div>
        <aside className="side" aria-label="Side panel">
          <Suspense fallback={<p className="panel muted">Loading…</p>}>
          {selectedNode && (
            <NodePanel key={selectedNode.id} node={selectedNode} problems={problemMap.get(selectedNode.id) ?? []} connections={connectionsOf(selectedNode)} onChange={(data) => updateNodeData(selectedNode.id, data)} onDelete={() => deleteNode(selectedNode.id)} />
          )}
          {/* Kept mounted while a node is selected, so that a test conversation survives a look at a node. */}
          <div hidden={selectedNode !== null}>
            <div role="tablist" aria-label="Flow tools" className="tabs">
              {(['problems', 'test', 'runs', 'versions'] as const).map((t) => (
                <button key={t} type="button" role="tab" aria-selected={tab === t} className={tab === t ? 'tab active' : 'tab'} onClick={() => setTab(t)}>
                  {{ problems: `Problems (${problems.length})`, test: 'Test chat', runs: 'Runs', versions: 'Versions' }[t]}
                </button>
              ))}
            </div>
            <div role="tabpanel" className="panel">
              {tab === 'problems' && <ProblemsList problems={problems} nodeLabel={nodeLabel} onJump={jumpTo} />}
              {flow && chatOpened.current && (
                <div hidden={tab !== 'test'}>
                  <TestChatPanel flow={flow} onPath={setRunPath} />
                </div>
              )}
              {tab === 'runs' && flow && <RunsPanel flowId={flow.id} nodeLabel={nodeLabel} onPath={setRunPath} onCounts={setRunCounts} />}
              {tab === 'versions' && flow && <VersionsPanel flowId={flow.id} current={currentDocument} onRestore={replaceDocument} />}
            </div>
          </div>
          </Suspense>
        </aside>
      </div>
    </div>
  );
}
