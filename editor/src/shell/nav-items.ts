import type { Capability } from '../../../engine/tenancy/role.ts';

/**
 * The sidebar. A new page adds one line here (and its route in router.tsx): the sidebar shows
 * an entry to the roles that have its `capability` (engine/tenancy/role.ts). `external` links
 * leave the app (a page the server serves itself, opened in a new tab).
 */
export interface NavItem {
  label: string;
  to: string;
  section: 'main' | 'settings';
  capability?: Capability;
  external?: boolean;
}

export const NAV_ITEMS: NavItem[] = [
  { label: 'Dashboard', to: '/dashboard', section: 'main', capability: 'conversations.read_all' },
  { label: 'Inbox', to: '/inbox', section: 'main', capability: 'conversations.read' },
  { label: 'Supervisor', to: '/inbox/supervisor', section: 'main', capability: 'inbox.supervise' },
  { label: 'Flows', to: '/flows', section: 'main', capability: 'flows.read' },
  { label: 'Broadcasts', to: '/broadcasts', section: 'main', capability: 'broadcasts.read' },
  { label: 'Templates', to: '/templates', section: 'main', capability: 'templates.read' },
  { label: 'Contacts', to: '/contacts', section: 'main', capability: 'contacts.read' },
  { label: 'Channels', to: '/channels', section: 'main', capability: 'channels.read' },
  { label: 'Workspace', to: '/settings/workspace', section: 'settings', capability: 'workspace.read' },
  { label: 'Members', to: '/settings/members', section: 'settings', capability: 'workspace.read' },
  { label: 'API keys', to: '/settings/api-keys', section: 'settings', capability: 'api_keys.manage' },
  { label: 'Audit log', to: '/settings/audit-log', section: 'settings', capability: 'audit.read' },
  { label: 'Teams', to: '/settings/teams', section: 'settings', capability: 'teams.manage' },
  { label: 'Routing rules', to: '/settings/routing-rules', section: 'settings', capability: 'teams.manage' },
  { label: 'Quick replies', to: '/settings/quick-replies', section: 'settings', capability: 'canned_responses.manage' },
  { label: 'Secrets', to: '/settings/secrets', section: 'settings', capability: 'secrets.read' },
  { label: 'Webhooks', to: '/settings/webhooks', section: 'settings', capability: 'webhooks.manage' },
  { label: 'Billing', to: '/settings/billing', section: 'settings', capability: 'billing.manage' },
  { label: 'Privacy', to: '/privacy', section: 'settings', capability: 'privacy.manage' },
  { label: 'API reference', to: '/api-docs/', section: 'settings', capability: 'workspace.manage', external: true },
];
