import { CloseButton, Group, Loader, Tabs, Text } from '@mantine/core';
import { lazy, Suspense, useEffect, useRef, type ReactNode } from 'react';

/** The side panel's tabs; `node` is the selected node's settings. */
export type SideTab = 'node' | 'problems' | 'test' | 'runs' | 'versions';
const TABS: readonly SideTab[] = ['node', 'problems', 'test', 'runs', 'versions'];

export const TestChatPanel = lazy(() => import('./test-chat-panel.tsx').then((m) => ({ default: m.TestChatPanel })));

const isSideTab = (value: string | null): value is SideTab => TABS.includes(value as SideTab);

/**
 * The right-hand panel: the selected node's settings and the flow's tools as tabs that stay
 * reachable whatever is selected. The test chat mounts when first opened, then stays mounted so
 * that its conversation survives a look at a node or at the runs.
 */
export function SidePanel(props: {
  tab: SideTab;
  onTab: (tab: SideTab) => void;
  problemCount: number;
  selectedNodeId: string | null;
  node: ReactNode;
  problems: ReactNode;
  testChat: ReactNode;
  runs: ReactNode;
  versions: ReactNode;
  onClose: () => void;
}) {
  const chatOpened = useRef(false);
  if (props.tab === 'test') chatOpened.current = true;
  const titles: Record<SideTab, string> = {
    node: 'Node',
    problems: `Problems (${props.problemCount})`,
    test: 'Test chat',
    runs: 'Runs',
    versions: 'Versions',
  };
  // A node selected on the canvas opens its settings; the other tabs stay one click away.
  const { selectedNodeId, onTab } = props;
  useEffect(() => {
    if (selectedNodeId !== null) onTab('node');
  }, [selectedNodeId, onTab]);
  const body: Record<SideTab, ReactNode> = {
    node:
      props.selectedNodeId !== null ? (
        props.node
      ) : (
        <Text c="dimmed" size="sm">
          Select a node on the canvas to change its settings.
        </Text>
      ),
    problems: props.problems,
    test: chatOpened.current ? props.testChat : null,
    runs: props.runs,
    versions: props.versions,
  };
  return (
    <aside className="side" aria-label="Side panel">
      <Tabs value={props.tab} onChange={(t) => isSideTab(t) && props.onTab(t)} keepMounted={false} className="side-tabs">
        <Group className="side-head" gap={0} wrap="nowrap" align="stretch">
          <Tabs.List aria-label="Flow tools" style={{ flex: 1, minWidth: 0 }}>
            {TABS.map((t) => (
              <Tabs.Tab key={t} value={t} px={8} fz={13} color={t === 'problems' && props.problemCount > 0 ? 'red' : undefined}>
                {titles[t]}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          <CloseButton aria-label="Close the panel" onClick={props.onClose} size="md" mx={2} style={{ alignSelf: 'center' }} />
        </Group>
        <div className="side-body">
          <Suspense fallback={<Loader size="sm" m="md" aria-label="Loading" />}>
            {TABS.map((t) => (
              // The test chat keeps its conversation while another tab is shown; the node form has its own padding.
              <Tabs.Panel
                key={t}
                value={t}
                aria-label={titles[t]}
                className={t === 'node' && props.selectedNodeId !== null ? undefined : 'panel'}
                keepMounted={t === 'test' && chatOpened.current}
              >
                {body[t]}
              </Tabs.Panel>
            ))}
          </Suspense>
        </div>
      </Tabs>
    </aside>
  );
}
