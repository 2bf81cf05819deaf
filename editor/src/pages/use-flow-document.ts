import { useEdgesState, useNodesState, type EdgeChange, type NodeChange } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { FlowProblem } from '../../../engine/flows/flow-problem.ts';
import { validateFlow } from '../../../engine/flows/validate-flow.ts';
import type { FlowDetail, FlowDocumentJson } from '../api/api-types.ts';
import { useFlowDetail, useFlowVersion } from '../api/queries/flows.queries.ts';
import { useSecrets } from '../api/queries/members.queries.ts';
import { useTemplates } from '../api/queries/templates.queries.ts';
import { useCan } from '../api/queries/use-can.ts';
import { EditHistory } from '../canvas/edit-history.ts';
import type { Snapshot } from '../canvas/flow-edits.ts';
import { toCanvas, toDocument, type EditorEdge, type EditorNode } from '../canvas/flow-mapping.ts';
import { hasUnpublishedChanges } from '../canvas/publish-state.ts';
import { useDraftSaver, type DraftSaver } from '../canvas/use-draft-saver.ts';
import { useSession } from '../session/session-context.tsx';

/** Edits that land within this window are one undo step (typing a message is one step, not one per key). */
const UNDO_COALESCE_MS = 300;
/** Validation runs this long after the last edit: instant to a person, and not on every keystroke of a 300-node flow. */
const VALIDATE_DELAY_MS = 120;

/** One flow being edited: what was loaded, the canvas state, its history, its problems, its save and publish state. */
export interface FlowDocumentState {
  flow: FlowDetail | null;
  /** Why the flow could not be loaded (null while loading and once loaded). */
  loadError: Error | null;
  /** Tries loading the flow again after loadError. */
  reload(): void;
  nodes: EditorNode[];
  edges: EditorEdge[];
  onNodesChange: (changes: NodeChange<EditorNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<EditorEdge>[]) => void;
  /** The latest nodes and edges, also between renders (for handlers). */
  current(): Snapshot;
  /** Applies an edit (a function of flow-edits.ts): one change of the document, saved and undoable. */
  apply(edit: (state: Snapshot) => Snapshot): void;
  /** Changes only which nodes are selected: no save, no undo step. */
  select(nodeIds: ReadonlySet<string>): void;
  undo(): void;
  redo(): void;
  canUndo: boolean;
  canRedo: boolean;
  problems: FlowProblem[];
  saver: DraftSaver;
  currentDocument(): FlowDocumentJson;
  /** The draft differs from the published version ("Unpublished changes"). */
  unpublished: boolean;
  /** After publishing: the flow's new state, and the document now published. */
  published(flow: Partial<FlowDetail>, document: unknown): void;
  setFlow(update: (flow: FlowDetail) => FlowDetail): void;
}

/**
 * Loads a flow and holds its editing state: canvas nodes and edges, undo/redo, validation with the
 * engine's own validateFlow, autosave with the revision check, and whether the draft differs from
 * the published version. The editing itself is in canvas/flow-edits.ts (plain functions).
 */
export function useFlowDocument(flowId: string): FlowDocumentState {
  const { api } = useSession();
  const [flow, setFlowState] = useState<FlowDetail | null>(null);
  const [nodes, setNodes, onNodesChangeBase] = useNodesState<EditorNode>([]);
  const [edges, setEdges, onEdgesChangeBase] = useEdgesState<EditorEdge>([]);
  const [editCount, setEditCount] = useState(0);
  const [problems, setProblems] = useState<FlowProblem[]>([]);
  const [publishedDocument, setPublishedDocument] = useState<unknown>(undefined);
  const [unpublished, setUnpublished] = useState(false);
  const [, setHistoryTick] = useState(0);
  const nodesRef = useRef(nodes);
  const edgesRef = useRef(edges);
  nodesRef.current = nodes;
  edgesRef.current = edges;
  const history = useRef(new EditHistory<Snapshot>({ nodes: [], edges: [] }));
  const restoring = useRef(false);

  const currentDocument = useCallback((): FlowDocumentJson => toDocument(nodesRef.current, edgesRef.current), []);
  const saver = useDraftSaver(api, flow, editCount, currentDocument);
  const markEdited = useCallback(() => setEditCount((c) => c + 1), []);

  // The loaded flow becomes the canvas once; from then on the editor owns the document. Set while
  // rendering, not in an effect: React renders again at once with the canvas, before any child,
  // so the editor's tree is rendered once with the 300 nodes of a large flow instead of once
  // empty and once more when an effect fills it (npm run bench -- editor).
  const loaded = useFlowDetail(flowId);
  const [initializedId, setInitializedId] = useState<string | null>(null);
  if (loaded.data && initializedId !== loaded.data.id) {
    const data = loaded.data;
    const canvas = toCanvas(data.document);
    setInitializedId(data.id);
    setNodes(canvas.nodes);
    setEdges(canvas.edges);
    setProblems(data.problems);
    setFlowState(data);
    // The history's first entry; no render reads it before the next edit.
    history.current.reset(canvas);
  }

  // The published document, to tell whether the draft differs from it (after publishing, the
  // editor sets it itself).
  const publishedVersion = useFlowVersion(flowId, flow?.publishedVersion ?? null);
  useEffect(() => {
    if (flow && flow.publishedVersion === null) setPublishedDocument(null);
    else if (publishedVersion.data) setPublishedDocument((old: unknown) => old ?? publishedVersion.data.document);
  }, [flow, publishedVersion.data]);

  // The workspace's secret names, so that a misspelt {{secrets.NAME}} shows while editing; when
  // they cannot be read, the server still checks them at publish. Both lists serve only the
  // validation of edits (the loaded flow comes with the server's problems), so they are asked for
  // at the first edit: their answers do not re-render a large canvas while it loads.
  const edited = editCount > 0;
  const secrets = useSecrets(useCan('secrets.read') === true && edited);
  const secretNames = useMemo<ReadonlySet<string> | null>(
    () => (secrets.data ? new Set(secrets.data.map((s) => s.name)) : null),
    [secrets.data],
  );
  // Likewise the saved templates, so that a node sending a deleted one shows its problem.
  const templates = useTemplates(edited);
  const templateIds = useMemo<ReadonlySet<string> | null>(
    () => (templates.data ? new Set(templates.data.items.map((t) => t.id)) : null),
    [templates.data],
  );

  // Until both lists have answered (or failed), the problems stay as they were rather than lose a
  // secret's or a template's problem for a moment.
  const listsLoading = secrets.isLoading || templates.isLoading;

  // Validation and the publish state: the engine's own validateFlow, on the document being edited.
  useEffect(() => {
    if (editCount === 0 || listsLoading) return;
    const timer = setTimeout(() => {
      const result = validateFlow(currentDocument(), { ...(secretNames ? { secretNames } : {}), ...(templateIds ? { templateIds } : {}) });
      setProblems(result.ok ? result.warnings : result.problems);
    }, VALIDATE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [editCount, listsLoading, currentDocument, secretNames, templateIds]);
  useEffect(() => {
    if (publishedDocument === undefined || !flow) return;
    const timer = setTimeout(
      () => setUnpublished(hasUnpublishedChanges(currentDocument(), publishedDocument)),
      editCount === 0 ? 0 : VALIDATE_DELAY_MS,
    );
    return () => clearTimeout(timer);
  }, [editCount, currentDocument, publishedDocument, flow]);

  // Undo steps: a snapshot after each burst of edits, except the edits that undo/redo make.
  // `pendingStep` is the burst not recorded yet: undo records it first, so an undo pressed within
  // the coalescing delay undoes that burst, not the one before (and never loses it).
  const pendingStep = useRef<ReturnType<typeof setTimeout> | null>(null);
  const recordPending = useCallback(() => {
    if (pendingStep.current === null) return;
    clearTimeout(pendingStep.current);
    pendingStep.current = null;
    history.current.record({ nodes: nodesRef.current, edges: edgesRef.current });
    setHistoryTick((t) => t + 1);
  }, []);
  useEffect(() => {
    if (editCount === 0) return;
    if (restoring.current) {
      restoring.current = false;
      return;
    }
    if (pendingStep.current !== null) clearTimeout(pendingStep.current);
    pendingStep.current = setTimeout(recordPending, UNDO_COALESCE_MS);
  }, [editCount, recordPending]);
  useEffect(() => () => void (pendingStep.current !== null && clearTimeout(pendingStep.current)), []);

  const replace = useCallback(
    (next: Snapshot) => {
      // The refs move at once, so that a second edit in the same event builds on this one.
      nodesRef.current = next.nodes;
      edgesRef.current = next.edges;
      setNodes(next.nodes);
      setEdges(next.edges);
    },
    [setNodes, setEdges],
  );
  const apply = useCallback(
    (edit: (state: Snapshot) => Snapshot) => {
      replace(edit({ nodes: nodesRef.current, edges: edgesRef.current }));
      markEdited();
    },
    [replace, markEdited],
  );
  const select = useCallback(
    (ids: ReadonlySet<string>) => setNodes((ns) => ns.map((n) => (n.selected === ids.has(n.id) ? n : { ...n, selected: ids.has(n.id) }))),
    [setNodes],
  );
  const restore = useCallback(
    (snapshot: Snapshot | undefined) => {
      if (!snapshot) return;
      restoring.current = true;
      replace(snapshot);
      markEdited();
      setHistoryTick((t) => t + 1);
    },
    [replace, markEdited],
  );
  const undo = useCallback(() => {
    recordPending();
    restore(history.current.undo());
  }, [restore, recordPending]);
  const redo = useCallback(() => {
    // An edit not recorded yet is newer than anything to redo: there is nothing to redo.
    if (pendingStep.current !== null) return;
    restore(history.current.redo());
  }, [restore]);

  const onNodesChange = useCallback(
    (changes: NodeChange<EditorNode>[]) => {
      onNodesChangeBase(changes);
      if (
        changes.some((c) => c.type === 'remove' || c.type === 'add' || (c.type === 'position' && !c.dragging && c.position !== undefined))
      )
        markEdited();
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

  const current = useCallback((): Snapshot => ({ nodes: nodesRef.current, edges: edgesRef.current }), []);
  const setFlow = useCallback((update: (f: FlowDetail) => FlowDetail) => setFlowState((f) => (f ? update(f) : f)), []);
  const published = useCallback((changes: Partial<FlowDetail>, document: unknown) => {
    setFlowState((f) => (f ? { ...f, ...changes } : f));
    setPublishedDocument(document);
    setUnpublished(false);
  }, []);

  return {
    flow,
    loadError: loaded.error,
    reload: () => void loaded.refetch(),
    nodes,
    edges,
    onNodesChange,
    onEdgesChange,
    current,
    apply,
    select,
    undo,
    redo,
    canUndo: history.current.canUndo,
    canRedo: history.current.canRedo,
    problems,
    saver,
    currentDocument,
    unpublished,
    published,
    setFlow,
  };
}
