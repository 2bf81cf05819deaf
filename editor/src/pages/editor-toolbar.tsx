import { Link } from 'react-router';
import type { FlowDetail } from '../api/api-types.ts';
import type { SaveStatus } from '../canvas/use-draft-saver.ts';

const SAVE_TEXT: Record<SaveStatus, string> = { saved: 'All changes saved', unsaved: 'Unsaved changes…', saving: 'Saving…', conflict: 'Not saved: conflict', error: 'Not saved' };

/** What the header says about publication: never published, published and current, or behind the draft. */
function publicationText(flow: FlowDetail | null, unpublished: boolean): { text: string; tone: 'muted' | 'warn' } {
  if (!flow) return { text: '', tone: 'muted' };
  if (flow.publishedVersion === null) return { text: 'Not published yet', tone: 'warn' };
  const state = `Published v${flow.publishedVersion}${flow.active ? '' : ' (switched off)'}`;
  return unpublished ? { text: `${state} · Unpublished changes`, tone: 'warn' } : { text: state, tone: 'muted' };
}

/**
 * The editor's header: back to the list, the flow's name, its save and publication state, and the
 * commands (undo, redo, layout, fit, publish), plus the panel toggles of narrow windows.
 */
export function EditorToolbar(props: {
  flow: FlowDetail | null;
  saveStatus: SaveStatus;
  unpublished: boolean;
  canUndo: boolean;
  canRedo: boolean;
  paletteOpen: boolean;
  sideOpen: boolean;
  onUndo: () => void;
  onRedo: () => void;
  onLayout: () => void;
  onFit: () => void;
  onPublish: () => void;
  onTogglePalette: () => void;
  onToggleSide: () => void;
}) {
  const publication = publicationText(props.flow, props.unpublished);
  return (
    <header className="editor-header">
      <Link to="/flows" className="back">
        ← Flows
      </Link>
      <h1>{props.flow?.name ?? 'Loading…'}</h1>
      <span className={`publication ${publication.tone}`} data-testid="publication-state">
        {publication.text}
      </span>
      <span role="status" className={`save-status ${props.saveStatus}`} data-save-status={props.saveStatus}>
        {SAVE_TEXT[props.saveStatus]}
      </span>
      <div className="toolbar-buttons">
        <button type="button" className="secondary panel-toggle" aria-pressed={props.paletteOpen} onClick={props.onTogglePalette}>
          Nodes
        </button>
        <button type="button" className="secondary" onClick={props.onUndo} disabled={!props.canUndo} aria-keyshortcuts="Control+Z">
          Undo
        </button>
        <button type="button" className="secondary" onClick={props.onRedo} disabled={!props.canRedo} aria-keyshortcuts="Control+Shift+Z">
          Redo
        </button>
        <button type="button" className="secondary" onClick={props.onLayout}>
          Auto-layout
        </button>
        <button type="button" className="secondary" onClick={props.onFit}>
          Fit view
        </button>
        <button type="button" className="secondary panel-toggle" aria-pressed={props.sideOpen} onClick={props.onToggleSide}>
          Panel
        </button>
        <button type="button" onClick={props.onPublish} disabled={!props.flow || props.saveStatus === 'conflict'}>
          Publish…
        </button>
      </div>
    </header>
  );
}
