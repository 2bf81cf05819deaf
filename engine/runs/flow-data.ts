import type { TemplateContext } from '../flows/template.ts';
import type { ContactFacts, RunFacts, RunState } from './run-types.ts';

/** `{{contact.…}}`: the contact's fields, and its attributes also at the top level (`{{contact.plan}}`). */
export function contactTemplateValues(contact: ContactFacts): Record<string, unknown> {
  return {
    ...contact.attributes,
    id: contact.id,
    phone: contact.phone,
    name: contact.name,
    tags: contact.tags,
    attributes: contact.attributes,
  };
}

/**
 * What templates and conditions see: `contact` (its attributes also at the top level, so
 * `{{contact.plan}}` works), `message`, `conversation`, `vars`, `trigger` and `workspace`.
 */
export function flowData(facts: Readonly<RunFacts>, state: Readonly<RunState>): TemplateContext {
  const contact = facts.contact ? contactTemplateValues(facts.contact) : undefined;
  return {
    contact,
    message: facts.message ?? undefined,
    conversation: facts.conversation ?? undefined,
    vars: state.vars,
    trigger: facts.trigger,
    workspace: facts.workspace,
  };
}
