import { AppHeader } from './app-header.tsx';
import { ChannelsPage } from './pages/channels-page.tsx';
import { FlowEditorPage } from './pages/flow-editor-page.tsx';
import { FlowsPage } from './pages/flows-page.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { useSession } from './session/session-context.tsx';
import { useHashRoute } from './use-hash-route.ts';

/** The pages: login when there is no session, else flows, one flow's editor, or channels. */
export function App() {
  const { token } = useSession();
  const route = useHashRoute();
  if (!token) return <LoginPage />;
  const [section, id] = route;
  if (section === 'flows' && id) return <FlowEditorPage key={id} flowId={id} />;
  return (
    <div className="page">
      <AppHeader />
      <main className="page-main">{section === 'channels' ? <ChannelsPage /> : <FlowsPage />}</main>
    </div>
  );
}
