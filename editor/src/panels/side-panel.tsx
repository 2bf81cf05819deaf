import { lazy, Suspense, useEffect, useRef, type ReactNode } from 'react';

/** The side panel's tabs; `node` is the selected node's settings. */
export type SideTab = 'node' | 'problems' | 'test' | 'runs' | 'versions';
const TABS: readonly SideTab[] = ['node', 'problems', 'test', 'runs', 'versions'];

export const TestChatPanel = lazy(() => import('./test-chat-panel.tsx').then((m) => ({ default: m.TestChatPanel })));

/**
 * The right-hand panel: the selected node's settings and the flow's tools as tabs that stay
 * reachable whatever is selected. The test chat mounts when first opened, then stays mounted so
 * that its conversation survives a look at a node or at the runs.
 */
export function SidePanel(props: { tab: SideTab; onTab: (tab: SideTab) => void; problemCount: number; selectedNodeId: string | null; node: ReactNode; problems: ReactNode; testChat: ReactNode; runs: ReactNode; versions: ReactNode; onClose: () => void }) {
  const chatOpened = useRef(false);
  if (props.tab === 'test') chatOpened.current = true;
  const titles: Record<SideTab, string> = { node: 'Node', problems: `Problems (${props.problemCount})`, test: 'Test chat', runs: 'Runs', versions: 'Versions' };
  const tablist = useRef<HTMLDivElement>(null);
  // A node selected on the canvas opens its settings; the other tabs stay one click away.
  const { selectedNodeId, onTab } = props;
  useEffect(() => {
    if (selectedNodeId !== null) onTab('node');
  }, [selectedNodeId, onTab]);
  return (
    <aside className="side" aria-label="Side panel">
      <div className="side-head">
        <div role="tablist" aria-label="Flow tools" className="tabs" ref={tablist}>
          {TABS.map((t) => (
            <button key={t} type="button" role="tab" aria-selected={props.tab === t} className={props.tab === t ? 'tab active' : 'tab'} onClick={() => props.onTab(t)}>
              {titles[t]}
            </button>
          ))}
        </div>
        <button type="button" className="side-close" aria-label="Close the panel" onClick={props.onClose}>
          ×
        </button>
      </div>
      <div role="tabpanel" className="side-body" aria-label={titles[props.tab]}>
        <Suspense fallback={<p className="panel muted">Loading…</p>}>
          {props.tab === 'node' && (props.selectedNodeId !== null ? props.node : <p className="panel muted">Select a node on the canvas to change its settings.</p>)}
          {props.tab === 'problems' && <div className="panel">{props.problems}</div>}
          {chatOpened.current && (
            <div className="panel" hidden={props.tab !== 'test'}>
              {props.testChat}
            </div>
          )}
          {props.tab === 'runs' && <div className="panel">{props.runs}</div>}
          {props.tab === 'versions' && <div className="panel">{props.versions}</div>}
        </Suspense>
      </div>
    </aside>
  );
}
