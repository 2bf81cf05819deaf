import { Center, Loader } from '@mantine/core';
import { useEffect } from 'react';
import { createBrowserRouter, Navigate, Outlet, useNavigate, useParams, type RouteObject } from 'react-router';
import { AcceptInvitationPage } from './pages/accept-invitation-page.tsx';
import { BillingPage } from './pages/billing-page.tsx';
import { BroadcastDetailPage } from './pages/broadcast-detail-page.tsx';
import { BroadcastFormPage } from './pages/broadcast-form-page.tsx';
import { BroadcastsPage } from './pages/broadcasts-page.tsx';
import { CannedResponsesPage } from './pages/canned-responses-page.tsx';
import { ChannelsPage } from './pages/channels-page.tsx';
import { FlowEditorPage } from './pages/flow-editor-page.tsx';
import { FlowsPage } from './pages/flows-page.tsx';
import { InboxPage } from './pages/inbox-page.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { MembersPage } from './pages/members-page.tsx';
import { ApiKeysPage } from './pages/api-keys-page.tsx';
import { DashboardPage } from './pages/dashboard-page.tsx';
import { AuditLogPage } from './pages/audit-log-page.tsx';
import { WorkspaceSettingsPage } from './pages/workspace-settings-page.tsx';
import { RoutingRulesPage } from './pages/routing-rules-page.tsx';
import { PrivacyContactPage } from './pages/privacy-contact-page.tsx';
import { PrivacyPage } from './pages/privacy-page.tsx';
import { SecretsPage } from './pages/secrets-page.tsx';
import { SupervisorPage } from './pages/supervisor-page.tsx';
import { TeamsPage } from './pages/teams-page.tsx';
import { useSession } from './session/session-context.tsx';
import { AppLayout } from './shell/app-layout.tsx';
import { pathOfHashRoute } from './shell/hash-redirect.ts';
import { NotFoundPage } from './shell/not-found-page.tsx';

/**
 * Every page of the editor and its URL. To add a page: a route here (inside AppLayout for a page
 * with the sidebar), an entry in shell/nav-items.ts, and its data through query hooks in
 * api/queries/. The server answers any of these paths with index.html (api/editor-app.ts).
 */
export const routes: RouteObject[] = [
  {
    element: <Root />,
    children: [
      // An invitation link opens with or without a session: accepting may create the account.
      { path: '/invitations/accept', element: <AcceptInvitationPage /> },
      {
        element: <SignedIn />,
        children: [
          { path: '/flows/:flowId', element: <FlowEditorRoute /> },
          {
            element: <AppLayout />,
            children: [
              { index: true, element: <Navigate to="/flows" replace /> },
              { path: '/flows', element: <FlowsPage /> },
              { path: '/broadcasts', element: <BroadcastsPage /> },
              { path: '/broadcasts/new', element: <BroadcastFormPage key="new" /> },
              { path: '/broadcasts/:broadcastId', element: <BroadcastDetailRoute /> },
              { path: '/broadcasts/:broadcastId/edit', element: <BroadcastEditRoute /> },
              // One route with its conversation as a child path: the page (its lists and live stream) stays mounted while conversations open.
              { path: '/inbox', element: <InboxRoute />, children: [{ index: true }, { path: ':conversationId' }] },
              { path: '/inbox/supervisor', element: <SupervisorPage /> },
              { path: '/channels', element: <ChannelsPage /> },
              { path: '/settings/teams', element: <TeamsPage /> },
              { path: '/settings/routing-rules', element: <RoutingRulesPage /> },
              { path: '/settings/quick-replies', element: <CannedResponsesPage /> },
              { path: '/settings/members', element: <MembersPage /> },
              { path: '/settings/workspace', element: <WorkspaceSettingsPage /> },
              { path: '/dashboard', element: <DashboardPage /> },
              { path: '/settings/api-keys', element: <ApiKeysPage /> },
              { path: '/settings/audit-log', element: <AuditLogPage /> },
              { path: '/settings/secrets', element: <SecretsPage /> },
              { path: '/settings/billing', element: <BillingPage /> },
              { path: '/privacy', element: <PrivacyPage /> },
              { path: '/privacy/contacts/:contactId', element: <PrivacyContactRoute /> },
              // The paths of the first editor, kept for bookmarks.
              { path: '/members', element: <Navigate to="/settings/members" replace /> },
              { path: '/secrets', element: <Navigate to="/settings/secrets" replace /> },
              { path: '*', element: <NotFoundPage /> },
            ],
          },
        ],
      },
    ],
  },
];

export function createRouter() {
  return createBrowserRouter(routes);
}

/** Turns an old hash link (`/#/flows/<id>`) into its path, on load and whenever the hash changes. */
function Root() {
  const navigate = useNavigate();
  useEffect(() => {
    const follow = () => {
      const path = pathOfHashRoute(window.location.hash);
      if (path) void navigate(path, { replace: true });
    };
    follow();
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, [navigate]);
  if (pathOfHashRoute(window.location.hash)) return null;
  return <Outlet />;
}

/** The pages behind login: nothing while the session is checked, the login form in place when there is none (the URL stays, so login lands on it). */
function SignedIn() {
  const { status } = useSession();
  if (status === 'checking')
    return (
      <Center h="100vh" aria-busy="true">
        <Loader aria-label="Loading" />
      </Center>
    );
  if (status === 'signed-out') return <LoginPage />;
  return <Outlet />;
}

function FlowEditorRoute() {
  const { flowId = '' } = useParams();
  return <FlowEditorPage key={flowId} flowId={flowId} />;
}

/** The inbox, with the conversation of its child path open (a parent route sees its child's params). */
function InboxRoute() {
  const { conversationId } = useParams();
  return <InboxPage conversationId={conversationId} />;
}

function BroadcastDetailRoute() {
  const { broadcastId = '' } = useParams();
  return <BroadcastDetailPage key={broadcastId} broadcastId={broadcastId} />;
}

function BroadcastEditRoute() {
  const { broadcastId = '' } = useParams();
  return <BroadcastFormPage key={broadcastId} broadcastId={broadcastId} />;
}

function PrivacyContactRoute() {
  const { contactId = '' } = useParams();
  return <PrivacyContactPage key={contactId} contactId={contactId} />;
}
