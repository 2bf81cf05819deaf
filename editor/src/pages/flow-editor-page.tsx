import { FlowAnalyticsOverlay } from '../analytics/flow-analytics-overlay.tsx';
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type FinalConnectionState,
} from '@xyflow/react';
import { Alert, Anchor, Button, Center, Drawer, Group, Loader, Stack, Text } from '@mantine/core';
import { useElementSize } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { Link } from 'react-router';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type ReactNode } from 'react';
import type { FlowDocumentJson } from '../api/api-types.ts';
import { connectionRefusal } from '../canvas/connection-rules.ts';
import { FlowDecorationsContext, type FlowDecorations } from '../canvas/flow-decorations.ts';
import * as edits from '../canvas/flow-edits.ts';
import { toCanvas, TARGET_HANDLE, portsOf, type EditorEdge, type EditorNode } from '../canvas/flow-mapping.ts';
import { NODE_TYPES } from '../canvas/flow-node.tsx';
import { Palette, PALETTE_MIME } from '../canvas/palette.tsx';
import { TemplateGallery } from '../canvas/template-gallery.tsx';
import type { NodeConnections } from '../panels/node-panel.tsx';
import type { NodeStep, RunPath } from '../panels/run-path.ts';
import { SidePanel, TestChatPanel, type SideTab } from '../panels/side-panel.tsx';
import { ProblemsList, problemsByNode } from '../validation/problems-list.tsx';
import { QueryError } from '../api/query-state.tsx';
import { EditorToolbar } from './editor-toolbar.tsx';
import { useEditorShortcuts } from './use-editor-shortcuts.ts';
import { useFlowDocument } from './use-flow-document.ts';
import '@xyflow/react/dist/style.css';
import '../canvas/flow-editor.css';

// Loaded when first shown: the canvas of a large flow becomes interactive sooner without the
// forms (and their JSON Schema conversion), the panels and the layout engine in its bundle.
const NodePanel = lazy(() => import('../panels/node-panel.tsx').then((m) => ({ default: m.NodePanel })));
const PublishDialog = lazy(() => import('../panels/publish-dialog.tsx').then((m) => ({ default: m.PublishDialog })));
const RunsPanel = lazy(() => import('../panels/runs-panel.tsx').then((m) => ({ default: m.RunsPanel })));
const VersionsPanel = lazy(() => import('../panels/versions-panel.tsx').then((m) => ({ default: m.VersionsPanel })));

const EMPTY_STEPS: ReadonlyMap<string, NodeStep> = new Map();
/**
 * The keys that delete the selection. At module scope: a new array on each render of the editor
 * would re-render React Flow's graph view every time (its props are compared by reference).
 */
const DELETE_KEYS = ['Delete', 'Backspace'];
/** A small flow is shown at its natural size, not blown up to fill the canvas. */
const FIT_VIEW_OPTIONS = { maxZoom: 1 };
/** Below this window width the palette and the side panel are drawers over the canvas, closed at first. */
const NARROW_WINDOW_PX = 1000;
/** The longest the minimap waits for an idle moment after the flow loaded. */
const MINIMAP_DELAY_MS = 1_000;

/** A short note about what just happened on the canvas (copied, a connection refused and why). */
const notify = (message: string) => notifications.show({ color: 'blue', message });

/** The flow editor of one flow: palette, canvas, side panels, autosave. */
export function FlowEditorPage({ flowId }: { flowId: string }) {
  return (
    <ReactFlowProvider>
      <FlowEditor flowId={flowId} />
    </ReactFlowProvider>
  );
}

function FlowEditor({ flowId }: { flowId: string }) {
  const rf = useReactFlow<EditorNode, EditorEdge>();
  const doc = useFlowDocument(flowId);
  const { apply, current, select, flow } = doc;
  const [tab, setTab] = useState<SideTab>('problems');
  const narrow = typeof window !== 'undefined' && window.innerWidth < NARROW_WINDOW_PX;
  const [paletteOpen, setPaletteOpen] = useState(!narrow);
  const [sideOpen, setSideOpen] = useState(!narrow);
  // The drawers of narrow windows open below the header, so that its toggles stay in reach.
  const header = useElementSize();
  const [runPath, setRunPath] = useState<RunPath | null>(null);
  const [runCounts, setRunCounts] = useState<ReadonlyMap<string, number>>(new Map());
  const [publishOpen, setPublishOpen] = useState(false);
  const wrapper = useRef<HTMLDivElement>(null);
  const clipboard = useRef<edits.Snapshot | null>(null);

  const isValidConnection = useCallback(
    (c: Connection | EditorEdge) => connectionRefusal(c, current().nodes, current().edges) === null,
    [current],
  );
  const onConnect = useCallback(
    (c: Connection) => {
      const result = edits.connect(current(), c);
      if ('state' in result) apply(() => result.state);
    },
    [apply, current],
  );
  // A drop that made no edge says why, also when it landed on a node body with no input (a trigger).
  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (state.isValid || !state.fromNode) return;
      const point = 'changedTouches' in event ? event.changedTouches[0] : event;
      const under = point
        ? document.elementFromPoint(point.clientX, point.clientY)?.closest('.react-flow__node')?.getAttribute('data-id')
        : null;
      const targetId = state.toNode?.id ?? under;
      if (!targetId) return;
      const reason = connectionRefusal(
        { source: state.fromNode.id, sourceHandle: state.fromHandle?.id ?? null, target: targetId, targetHandle: TARGET_HANDLE },
        current().nodes,
        current().edges,
      );
      if (reason) notify(`Connection refused: ${reason}.`);
    },
    [current],
  );

  const addNode = useCallback(
    (type: string, at?: { x: number; y: number }) => {
      let position = at;
      if (!position) {
        const rect = wrapper.current?.getBoundingClientRect();
        position = rf.screenToFlowPosition({
          x: (rect?.left ?? 0) + (rect?.width ?? 0) / 2,
          y: (rect?.top ?? 0) + (rect?.height ?? 0) / 3,
        });
      }
      const added = edits.addNode(current(), type, position);
      if (!added) return;
      apply(() => added.state);
      // Moved to free room, it may be out of view: follow it, so the user sees what was added.
      if (added.node.position.x !== position.x || added.node.position.y !== position.y)
        void rf.setCenter(added.node.position.x + 110, added.node.position.y + 45, { zoom: rf.getZoom(), duration: 200 });
    },
    [rf, apply, current],
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

  useEditorShortcuts({
    undo: doc.undo,
    redo: doc.redo,
    copy() {
      const copied = edits.copySelection(current());
      if (!copied) return;
      clipboard.current = copied;
      notify(`Copied ${copied.nodes.length} ${copied.nodes.length === 1 ? 'node' : 'nodes'}.`);
    },
    paste() {
      if (!clipboard.current) return;
      const pasted = edits.paste(current(), clipboard.current);
      clipboard.current = pasted.clipboard;
      apply(() => pasted.state);
    },
  });

  const layout = useCallback(async () => {
    const { autoLayout } = await import('../canvas/auto-layout.ts');
    apply((s) => ({ nodes: autoLayout(s.nodes, s.edges), edges: s.edges }));
    requestAnimationFrame(() => void rf.fitView({ duration: 200 }));
  }, [apply, rf]);

  const jumpTo = useCallback(
    (nodeId: string) => {
      const node = rf.getNode(nodeId);
      if (!node) return;
      select(new Set([nodeId]));
      setTab('node');
      setSideOpen(true);
      void rf.setCenter(node.position.x + (node.measured?.width ?? 200) / 2, node.position.y + (node.measured?.height ?? 80) / 2, {
        zoom: 1.2,
        duration: 300,
      });
    },
    [rf, select],
  );

  // A click on a node opens its settings, also when it was selected already or the panel was closed.
  const openNodeSettings = useCallback(() => {
    setTab('node');
    setSideOpen(true);
  }, []);

  const replaceDocument = useCallback(
    (document: FlowDocumentJson) => {
      apply(() => toCanvas(document));
      requestAnimationFrame(() => void rf.fitView(FIT_VIEW_OPTIONS));
    },
    [apply, rf],
  );

  // Stable handlers: the toolbar and the palette are memoised and skip the renders of loading and measuring.
  const toolbar = useMemo(
    () => ({
      layout: () => void layout(),
      fit: () => void rf.fitView({ duration: 200 }),
      publish: () => setPublishOpen(true),
      togglePalette: () => setPaletteOpen((o) => !o),
      toggleSide: () => setSideOpen((o) => !o),
    }),
    [layout, rf],
  );
  // Once every node is measured (or the flow is empty): before, the minimap's timeout could fire
  // while a large flow was still being measured on a busy machine, and draw its 300 nodes first.
  const nodesMeasured = useNodesInitialized();

  const { problems, nodes, edges, saver } = doc;
  const minimapShown = useShownWhenIdle(flow !== null && (nodesMeasured || nodes.length === 0));
  // A failed save is told like every other failed write; a conflict also stays on screen with Reload.
  useEffect(() => {
    if (saver.error)
      notifications.show({
        id: 'draft-save',
        color: 'red',
        title: 'The draft was not saved',
        message: saver.error,
        autoClose: saver.status !== 'conflict',
      });
  }, [saver.error, saver.status]);
  const problemMap = useMemo(() => problemsByNode(problems), [problems]);
  const decorations = useMemo<FlowDecorations>(
    () => ({
      problemsByNode: problemMap,
      pathNodes: new Set(runPath?.nodeIds ?? []),
      failedNode: runPath?.failedNodeId ?? null,
      runCounts,
      stepsByNode: runPath?.stepsByNode ?? EMPTY_STEPS,
    }),
    [problemMap, runPath, runCounts],
  );
  const shownEdges = useMemo(() => {
    if (!runPath || runPath.nodeIds.length < 2) return edges;
    const hops = new Set(runPath.nodeIds.slice(1).map((target, i) => `${runPath.nodeIds[i]}→${target}`));
    return edges.map((e) => (hops.has(`${e.source}→${e.target}`) ? { ...e, animated: true, className: 'on-path' } : e));
  }, [edges, runPath]);

  const selected = nodes.filter((n) => n.selected);
  const selectedNode = selected.length === 1 ? selected[0]! : null;
  const nodeLabel = useCallback((id: string) => edits.nodeNames(current().nodes).get(id) ?? 'a deleted node', [current]);

  const connectionsOf = (node: EditorNode): NodeConnections => ({
    outputs: portsOf(node.data.kind, node.data.config).map((port) => ({
      port: port.id,
      label: port.label,
      target: edges.find((e) => e.source === node.id && e.sourceHandle === port.id)?.target ?? null,
    })),
    targets: edits.connectionTargets(nodes, node.id),
    connect: (port, target) => apply((s) => edits.setPortTarget(s, node.id, port, target)),
  });

  if (doc.loadError) {
    return (
      <Stack component="main" className="page-main">
        <QueryError error={doc.loadError} onRetry={doc.reload} />
        <Anchor component={Link} to="/flows">
          Back to flows
        </Anchor>
      </Stack>
    );
  }

  // Nothing of the editor until the flow has answered (usually already there: index.html asked for
  // it first): the header, panels and canvas are then rendered, laid out and painted once, with
  // the flow's nodes, rather than once empty and again when the flow comes (npm run bench -- editor).
  if (!flow)
    return (
      <Center h="50vh" aria-busy="true">
        <Loader aria-label="Loading the flow" />
      </Center>
    );

  return (
    <div className={`editor${paletteOpen ? '' : ' palette-closed'}${sideOpen ? '' : ' side-closed'}`}>
      <div ref={header.ref}>
        <EditorToolbar
          flow={flow}
          saveStatus={saver.status}
          unpublished={doc.unpublished}
          canUndo={doc.canUndo}
          canRedo={doc.canRedo}
          paletteOpen={paletteOpen}
          sideOpen={sideOpen}
          onUndo={doc.undo}
          onRedo={doc.redo}
          onLayout={toolbar.layout}
          onFit={toolbar.fit}
          onPublish={toolbar.publish}
          onTogglePalette={toolbar.togglePalette}
          onToggleSide={toolbar.toggleSide}
        />
      </div>
      {saver.status === 'conflict' && saver.error && (
        <Alert color="red" variant="light" radius={0} role="alert">
          <Group gap="sm" wrap="nowrap" justify="space-between">
            <Text size="sm" fw={600}>
              {saver.error}
            </Text>
            <Button size="xs" color="red" onClick={() => window.location.reload()}>
              Reload
            </Button>
          </Group>
        </Alert>
      )}
      {publishOpen && (
        <Suspense fallback={null}>
          <PublishDialog
            flow={flow}
            problems={problems}
            saver={saver}
            onClose={() => setPublishOpen(false)}
            onPriority={(priority) => doc.setFlow((f) => ({ ...f, priority }))}
            onPublished={(published, version, document) => {
              doc.published({ publishedVersion: published.publishedVersion, active: published.active }, document);
              setPublishOpen(false);
              notifications.show({ color: 'green', message: `Published version ${version}. It now answers messages.` });
            }}
            onShowProblems={() => {
              setPublishOpen(false);
              setTab('problems');
              setSideOpen(true);
            }}
          />
        </Suspense>
      )}
      <div className="editor-body">
        <PanelSlot
          top={header.height}
          narrow={narrow}
          opened={paletteOpen}
          position="left"
          label="Node palette"
          onClose={() => setPaletteOpen(false)}
        >
          <Palette onAdd={addNode} />
        </PanelSlot>
        <div className="canvas" ref={wrapper} onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
          <FlowDecorationsContext.Provider value={decorations}>
            <ReactFlow<EditorNode, EditorEdge>
              nodes={nodes}
              edges={shownEdges}
              nodeTypes={NODE_TYPES}
              onNodesChange={doc.onNodesChange}
              onEdgesChange={doc.onEdgesChange}
              onConnect={onConnect}
              onNodeClick={openNodeSettings}
              onConnectEnd={onConnectEnd}
              isValidConnection={isValidConnection}
              deleteKeyCode={DELETE_KEYS}
              fitView
              fitViewOptions={FIT_VIEW_OPTIONS}
              // Not onlyRenderVisibleElements: a fitted large flow shows every node anyway, and the
              // visibility bookkeeping made loading a 300-node flow ~30% slower (npm run bench -- editor).
              minZoom={0.1}
              aria-label="Flow canvas"
            >
              <Background />
              {/* Controls bottom left, minimap top right: the minimap never covers the controls. */}
              <Controls position="bottom-left" />
              {minimapShown && <MiniMap pannable zoomable ariaLabel="Minimap" position="top-right" className="minimap" />}
              <FlowAnalyticsOverlay flowId={flowId} />
            </ReactFlow>
          </FlowDecorationsContext.Provider>
          {nodes.length === 0 && <TemplateGallery onUse={replaceDocument} />}
        </div>
        <PanelSlot
          top={header.height}
          narrow={narrow}
          opened={sideOpen}
          position="right"
          label="Side panel"
          onClose={() => setSideOpen(false)}
        >
          <SidePanel
            tab={tab}
            onTab={setTab}
            onClose={() => setSideOpen(false)}
            problemCount={problems.length}
            selectedNodeId={selectedNode?.id ?? null}
            node={
              selectedNode && (
                <NodePanel
                  key={selectedNode.id}
                  node={selectedNode}
                  problems={problemMap.get(selectedNode.id) ?? []}
                  connections={connectionsOf(selectedNode)}
                  onChange={(data) => apply((s) => edits.updateNodeData(s, selectedNode.id, data))}
                  onDelete={() => apply((s) => edits.deleteNode(s, selectedNode.id))}
                />
              )
            }
            problems={<ProblemsList problems={problems} nodeLabel={nodeLabel} onJump={jumpTo} />}
            testChat={<TestChatPanel flow={flow} document={doc.currentDocument} saver={saver} onPath={setRunPath} />}
            runs={<RunsPanel flowId={flow.id} nodeLabel={nodeLabel} onPath={setRunPath} onCounts={setRunCounts} />}
            versions={<VersionsPanel flowId={flow.id} current={doc.currentDocument} onRestore={replaceDocument} />}
          />
        </PanelSlot>
      </div>
    </div>
  );
}

/**
 * True once `ready` (the nodes are measured) and the browser has had an idle moment: the minimap
 * draws every node a second time and recomputes the flow's bounds on each change of the canvas, so
 * it joins the page once the canvas is drawn, measured and usable instead of delaying it
 * (npm run bench -- editor). It stays shown afterwards, whatever the nodes do.
 */
function useShownWhenIdle(ready: boolean): boolean {
  const [shown, setShown] = useState(false);
  useEffect(() => {
    if (!ready || shown) return;
    if (typeof requestIdleCallback !== 'function') {
      const timer = setTimeout(() => setShown(true), MINIMAP_DELAY_MS);
      return () => clearTimeout(timer);
    }
    const idle = requestIdleCallback(() => setShown(true), { timeout: MINIMAP_DELAY_MS });
    return () => cancelIdleCallback(idle);
  }, [ready, shown]);
  return shown;
}

/**
 * Where the palette and the side panel sit: beside the canvas in a wide window, and as drawers
 * over the canvas below NARROW_WINDOW_PX (no overlay: the canvas stays usable beside them).
 */
function PanelSlot({
  top,
  narrow,
  opened,
  position,
  label,
  onClose,
  children,
}: {
  top: number;
  narrow: boolean;
  opened: boolean;
  position: 'left' | 'right';
  label: string;
  onClose: () => void;
  children: ReactNode;
}) {
  if (!narrow) return opened ? children : null;
  return (
    <Drawer
      opened={opened}
      onClose={onClose}
      position={position}
      size={position === 'left' ? 220 : 380}
      styles={{ inner: { top }, content: { maxWidth: '100%' } }}
      withCloseButton={false}
      withOverlay={false}
      trapFocus={false}
      lockScroll={false}
      padding={0}
      aria-label={label}
      classNames={{ body: 'drawer-body' }}
      shadow="lg"
    >
      {children}
    </Drawer>
  );
}
