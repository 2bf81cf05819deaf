/** Roles of a workspace member, from most to least powerful. */
export const ROLES = ['owner', 'admin', 'marketer', 'agent'] as const;
export type Role = (typeof ROLES)[number];

/** Who may do what: each capability lists the roles that have it. */
export const CAPABILITIES = {
  'workspace.read': ['owner', 'admin', 'marketer', 'agent'],
  'workspace.manage': ['owner', 'admin'],
  'members.manage': ['owner', 'admin'],
  'api_keys.manage': ['owner', 'admin'],
  'channels.manage': ['owner', 'admin'],
  'channels.read': ['owner', 'admin', 'marketer', 'agent'],
  'channels.simulate': ['owner', 'admin', 'marketer'],
  'contacts.read': ['owner', 'admin', 'marketer', 'agent'],
  /**
   * Edit a contact's name and record an opt-out the person asked for in a chat: what an agent
   * needs while talking to them. Recording an opt-out only ever stops messages.
   */
  'contacts.write': ['owner', 'admin', 'marketer', 'agent'],
  /**
   * Change what decides who receives automated messages: tags and attributes (segments and flow
   * conditions select on them, so they steer broadcasts), clearing an opt-out (consent) and
   * restriction of processing. Agents may not: an agent is not the one who chooses audiences.
   */
  'contacts.target': ['owner', 'admin', 'marketer'],
  /** Manage the contact list as a whole: import and export CSV, create and delete contacts, tag many at once. */
  'contacts.manage': ['owner', 'admin', 'marketer'],
  'conversations.read': ['owner', 'admin', 'marketer', 'agent'],
  'conversations.reply': ['owner', 'admin', 'marketer', 'agent'],
  /**
   * See every conversation, whatever its team. Agents see the ones assigned to them, those of
   * their teams (queues included) and those in no team.
   */
  'conversations.read_all': ['owner', 'admin', 'marketer'],
  /** Work the support inbox: take, resolve, snooze, transfer one's own conversations, write notes, set one's availability. */
  'inbox.work': ['owner', 'admin', 'marketer', 'agent'],
  /** Supervise the inbox: assign or transfer anyone's conversations, see agents' availability and load. */
  'inbox.supervise': ['owner', 'admin'],
  /** Teams, their members and capacity, and routing rules. */
  'teams.manage': ['owner', 'admin'],
  /** Quick replies agents insert into their answers. */
  'canned_responses.manage': ['owner', 'admin'],
  /** Saved message templates: everyone may read and send them (agents as canned responses). */
  'templates.read': ['owner', 'admin', 'marketer', 'agent'],
  /** Write saved message templates: each edit changes what drafts, broadcasts and agents send next. */
  'templates.manage': ['owner', 'admin', 'marketer'],
  'flows.read': ['owner', 'admin', 'marketer', 'agent'],
  'flows.write': ['owner', 'admin', 'marketer'],
  'runs.read': ['owner', 'admin', 'marketer', 'agent'],
  'broadcasts.read': ['owner', 'admin', 'marketer', 'agent'],
  'broadcasts.write': ['owner', 'admin', 'marketer'],
  'audit.read': ['owner', 'admin'],
  // Names only (never values): flow authors pick a secret by name in the HTTP request node.
  'secrets.read': ['owner', 'admin', 'marketer'],
  'secrets.manage': ['owner', 'admin'],
  /** Event webhooks: where the workspace's events (with contacts' messages) are sent, and their signing secrets. */
  'webhooks.manage': ['owner', 'admin'],
  /** The plan, the card, invoices and usage: money is the owner's decision. */
  'billing.manage': ['owner'],
  /**
   * Retention policy, legal holds, sweeps, and contacts' data-subject requests (export, erasure):
   * they delete data or hand all of a person's data out, so admins only.
   */
  'privacy.manage': ['owner', 'admin'],
  /** Delete the whole workspace (after a grace period). */
  'workspace.delete': ['owner'],
} as const satisfies Record<string, readonly Role[]>;
export type Capability = keyof typeof CAPABILITIES;

/** True when `role` has `capability`. */
export function can(role: Role, capability: Capability): boolean {
  return (CAPABILITIES[capability] as readonly Role[]).includes(role);
}
