import { AppHeader } from './app-header.tsx';
import { AcceptInvitationPage } from './pages/accept-invitation-page.tsx';
import { BroadcastDetailPage } from './pages/broadcast-detail-page.tsx';
import { BroadcastFormPage } from './pages/broadcast-form-page.tsx';
import { BroadcastsPage } from './pages/broadcasts-page.tsx';
import { ChannelsPage } from './pages/channels-page.tsx';
import { FlowEditorPage } from './pages/flow-editor-page.tsx';
import { FlowsPage } from './pages/flows-page.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { MembersPage } from './pages/members-page.tsx';
import { SecretsPage } from './pages/secrets-page.tsx';
import { useSession } from './session/session-context.tsx';
import { useHashRoute } from './use-hash-route.ts';

/** The pages: an invitation's accept page (with or without a session), nothing while the session is checked, login when there is none, else flows, one flow's editor, channels, members, secrets, or broadcasts. */
export function App() {
  const { status } = useSession();
  const route = useHashRoute();
  const [section, id, sub] = route;
  // An invitation link opens with or without a session: accepting may create the account.
  if (section === 'invitations' && id?.startsWith('accept')) return <AcceptInvitationPage />;
  if (status === 'checking') return <main className="login" aria-busy="true" />;
  if (status === 'signed-out') return <LoginPage />;
  if (section === 'flows' && id) return <FlowEditorPage key={id} flowId={id} />;
  return (
    <div className="page">
      <AppHeader />
      <main className="page-main">{pageOf(section, id, sub)}</main>
    </div>
  );
}

function pageOf(section: string | undefined, id: string | undefined, sub: string | undefined) {
  if (section === 'channels') return <ChannelsPage />;
  if (section === 'members') return <MembersPage />;
  if (section === 'secrets') return <SecretsPage />;
  if (section === 'broadcasts') {
    if (id === 'new') return <BroadcastFormPage key="new" />;
    if (id && sub === 'edit') return <BroadcastFormPage key={id} broadcastId={id} />;
    return id ? <BroadcastDetailPage key={id} broadcastId={id} /> : <BroadcastsPage />;
  }
  return <FlowsPage />;
}
