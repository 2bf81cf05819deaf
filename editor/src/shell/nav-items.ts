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
  { label: 'Flows', to: '/flows', section: 'main', capability: 'flows.read' },
  { label: 'Broadcasts', to: '/broadcasts', section: 'main', capability: 'broadcasts.read' },
  { label: 'Channels', to: '/channels', section: 'main', capability: 'channels.read' },
  { label: 'Members', to: '/settings/members', section: 'settings', capability: 'workspace.read' },
  { label: 'Secrets', to: '/settings/secrets', section: 'settings', capability: 'secrets.read' },
  { label: 'Privacy', to: '/privacy', section: 'settings', capability: 'privacy.manage' },
  { label: 'API reference', to: '/api-docs/', section: 'settings', capability: 'workspace.manage', external: true },
];
