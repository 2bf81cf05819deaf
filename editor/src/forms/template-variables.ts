/**
 * Paths a template or a condition can read, offered by the variable picker. The roots are the
 * engine's (engine/flows/template.ts); `attributes.*` and `vars.*` are examples to adapt.
 */
export const TEMPLATE_VARIABLES: readonly { path: string; label: string }[] = [
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
