import { Center, Loader } from '@mantine/core';
import { useEffect } from 'react';
import { createBrowserRouter, Navigate, Outlet, useNavigate, useParams, type RouteObject } from 'react-router';
import { LoginPage } from './pages/login-page.tsx';
import { useSession } from './session/session-context.tsx';
import { AppLayout } from './shell/app-layout.tsx';
import { pathOfHashRoute } from './shell/hash-redirect.ts';
import { NotFoundPage } from './shell/not-found-page.tsx';
import { lazyPage, PageSuspense } from './shell/lazy-page.tsx';

// Every page is its own chunk, loaded when first shown (shell/lazy-page.tsx).
const AcceptInvitationPage = lazyPage(() => import('./pages/accept-invitation-page.tsx'), 'AcceptInvitationPage');
const BillingPage = lazyPage(() => import('./pages/billing-page.tsx'), 'BillingPage');
const BroadcastDetailPage = lazyPage(() => import('./pages/broadcast-detail-page.tsx'), 'BroadcastDetailPage');
const BroadcastFormPage = lazyPage(() => import('./pages/broadcast-form-page.tsx'), 'BroadcastFormPage');
const BroadcastsPage = lazyPage(() => import('./pages/broadcasts-page.tsx'), 'BroadcastsPage');
const CannedResponsesPage = lazyPage(() => import('./pages/canned-responses-page.tsx'), 'CannedResponsesPage');
const ChannelsPage = lazyPage(() => import('./pages/channels-page.tsx'), 'ChannelsPage');
const ContactPage = lazyPage(() => import('./pages/contact-page.tsx'), 'ContactPage');
const ContactsPage = lazyPage(() => import('./pages/contacts-page.tsx'), 'ContactsPage');
const FlowEditorPage = lazyPage(() => import('./pages/flow-editor-page.tsx'), 'FlowEditorPage');
const FlowsPage = lazyPage(() => import('./pages/flows-page.tsx'), 'FlowsPage');
const InboxPage = lazyPage(() => import('./pages/inbox-page.tsx'), 'InboxPage');
const MembersPage = lazyPage(() => import('./pages/members-page.tsx'), 'MembersPage');
const RoutingRulesPage = lazyPage(() => import('./pages/routing-rules-page.tsx'), 'RoutingRulesPage');
const PrivacyContactPage = lazyPage(() => import('./pages/privacy-contact-page.tsx'), 'PrivacyContactPage');
const PrivacyPage = lazyPage(() => import('./pages/privacy-page.tsx'), 'PrivacyPage');
const SecretsPage = lazyPage(() => import('./pages/secrets-page.tsx'), 'SecretsPage');
const SupervisorPage = lazyPage(() => import('./pages/supervisor-page.tsx'), 'SupervisorPage');
const TeamsPage = lazyPage(() => import('./pages/teams-page.tsx'), 'TeamsPage');
const TemplatesPage = lazyPage(() => import('./pages/templates-page.tsx'), 'TemplatesPage');
const ApiKeysPage = lazyPage(() => import('./pages/api-keys-page.tsx'), 'ApiKeysPage');
const DashboardPage = lazyPage(() => import('./pages/dashboard-page.tsx'), 'DashboardPage');
const AuditLogPage = lazyPage(() => import('./pages/audit-log-page.tsx'), 'AuditLogPage');
const WorkspaceSettingsPage = lazyPage(() => import('./pages/workspace-settings-page.tsx'), 'WorkspaceSettingsPage');
const WebhooksPage = lazyPage(() => import('./pages/webhooks-page.tsx'), 'WebhooksPage');

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
              { path: '/templates', element: <TemplatesPage /> },
              { path: '/broadcasts/new', element: <BroadcastFormPage key="new" /> },
              { path: '/broadcasts/:broadcastId', element: <BroadcastDetailRoute /> },
              { path: '/broadcasts/:broadcastId/edit', element: <BroadcastEditRoute /> },
              // One route with its conversation as a child path: the page (its lists and live stream) stays mounted while conversations open.
              { path: '/inbox', element: <InboxRoute />, children: [{ index: true }, { path: ':conversationId' }] },
              { path: '/inbox/supervisor', element: <SupervisorPage /> },
              { path: '/channels', element: <ChannelsPage /> },
              { path: '/contacts', element: <ContactsPage /> },
              { path: '/contacts/:contactId', element: <ContactRoute /> },
              { path: '/settings/teams', element: <TeamsPage /> },
              { path: '/settings/routing-rules', element: <RoutingRulesPage /> },
              { path: '/settings/quick-replies', element: <CannedResponsesPage /> },
              { path: '/settings/members', element: <MembersPage /> },
              { path: '/settings/workspace', element: <WorkspaceSettingsPage /> },
              { path: '/dashboard', element: <DashboardPage /> },
              { path: '/settings/api-keys', element: <ApiKeysPage /> },
              { path: '/settings/audit-log', element: <AuditLogPage /> },
              { path: '/settings/secrets', element: <SecretsPage /> },
              { path: '/settings/webhooks', element: <WebhooksPage /> },
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
  // A deep link to a flow: its editor's code downloads while the session is checked, not after.
  if (/^\/flows\/[^/]+$/.test(window.location.pathname)) void FlowEditorPage.preload();
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
  return (
    <PageSuspense>
      <Outlet />
    </PageSuspense>
  );
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

function ContactRoute() {
  const { contactId = '' } = useParams();
  return <ContactPage key={contactId} contactId={contactId} />;
}

function PrivacyContactRoute() {
  const { contactId = '' } = useParams();
  return <PrivacyContactPage key={contactId} contactId={contactId} />;
}
