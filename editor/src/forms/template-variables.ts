/**
 * Paths a template or a condition can read, offered by the variable picker. The roots are the
 * engine's (engine/flows/template.ts); `attributes.*` and `vars.*` are examples to adapt.
 */
export interface TemplateVariable {
  path: string;
  label: string;
}

export const TEMPLATE_VARIABLES: readonly TemplateVariable[] = [
  { path: 'contact.name', label: 'Contact name' },
  { path: 'contact.phone', label: 'Contact phone' },
  { path: 'contact.tags', label: 'Contact tags' },
  { path: 'contact.attributes.email', label: 'Contact attribute: email' },
  { path: 'message.text', label: 'Message text' },
  { path: 'conversation.status', label: 'Conversation status' },
  { path: 'vars.answer', label: 'Flow variable: answer' },
  { path: 'vars.response', label: 'Flow variable: HTTP response' },
  { path: 'trigger.body', label: 'Webhook body' },
  { path: 'workspace.name', label: 'Workspace name' },
];

/** What a segment rule can read: the contact only (the server refuses any other variable). */
export const SEGMENT_VARIABLES: readonly TemplateVariable[] = [
  { path: 'contact.tags', label: 'Contact tags' },
  { path: 'contact.name', label: 'Contact name' },
  { path: 'contact.phone', label: 'Contact phone' },
  { path: 'contact.attributes.email', label: 'Contact attribute: email' },
  { path: 'contact.createdAt', label: 'Contact created at (ISO time)' },
  { path: 'contact.lastSeenAt', label: 'Contact last seen at (ISO time)' },
  { path: 'contact.daysSinceLastMessage', label: 'Days since the contact last wrote' },
  { path: 'contact.optIn', label: 'Contact opt-in state' },
  { path: 'contact.channels', label: 'Channels the contact is on' },
];
