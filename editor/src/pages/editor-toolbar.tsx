import { Badge, Button, Group, Text, Title, Tooltip } from '@mantine/core';
import { memo } from 'react';
import type { FlowDetail } from '../api/api-types.ts';
import type { SaveStatus } from '../canvas/use-draft-saver.ts';
import { BackLink } from '../shell/back-link.tsx';

const SAVE_TEXT: Record<SaveStatus, string> = {
  saved: 'All changes saved',
  unsaved: 'Unsaved changes…',
  saving: 'Saving…',
  conflict: 'Not saved: conflict',
  error: 'Not saved',
};

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
export const EditorToolbar = memo(function EditorToolbar(props: {
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
  const failed = props.saveStatus === 'conflict' || props.saveStatus === 'error';
  return (
    <Group component="header" className="editor-header" gap="sm" wrap="wrap">
      <BackLink to="/flows">Flows</BackLink>
      <Title order={1} size="h4" className="editor-title">
        {props.flow?.name ?? 'Loading…'}
      </Title>
      {publication.text && (
        <Badge variant="light" color={publication.tone === 'warn' ? 'orange' : 'gray'} tt="none" data-testid="publication-state">
          {publication.text}
        </Badge>
      )}
      <Text role="status" size="sm" c={failed ? 'red' : 'dimmed'} fw={failed ? 600 : undefined} data-save-status={props.saveStatus}>
        {SAVE_TEXT[props.saveStatus]}
      </Text>
      <Group gap={6} ml="auto" wrap="wrap">
        <Button
          size="xs"
          variant={props.paletteOpen ? 'light' : 'default'}
          aria-pressed={props.paletteOpen}
          onClick={props.onTogglePalette}
        >
          Nodes
        </Button>
        <Tooltip label="Ctrl+Z">
          <Button size="xs" variant="default" onClick={props.onUndo} disabled={!props.canUndo} aria-keyshortcuts="Control+Z">
            Undo
          </Button>
        </Tooltip>
        <Tooltip label="Ctrl+Shift+Z">
          <Button size="xs" variant="default" onClick={props.onRedo} disabled={!props.canRedo} aria-keyshortcuts="Control+Shift+Z">
            Redo
          </Button>
        </Tooltip>
        <Button size="xs" variant="default" onClick={props.onLayout}>
          Auto-layout
        </Button>
        <Button size="xs" variant="default" onClick={props.onFit}>
          Fit view
        </Button>
        <Button size="xs" variant={props.sideOpen ? 'light' : 'default'} aria-pressed={props.sideOpen} onClick={props.onToggleSide}>
          Panel
        </Button>
        <Button size="xs" onClick={props.onPublish} disabled={!props.flow || props.saveStatus === 'conflict'}>
          Publish…
        </Button>
      </Group>
    </Group>
  );
});
