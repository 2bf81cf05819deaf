import type { TemplateContext } from '../flows/template.ts';
import type { RunFacts, RunState } from './run-types.ts';

/**
 * What templates and conditions see: `contact` (its attributes also at the top level, so
 * `{{contact.plan}}` works), `message`, `conversation`, `vars`, `trigger` and `workspace`.
 */
export function flowData(facts: Readonly<RunFacts>, state: Readonly<RunState>): TemplateContext {
  const contact = facts.contact ? { ...facts.contact.attributes, id: facts.contact.id, phone: facts.contact.phone, name: facts.contact.name, tags: facts.contact.tags, attributes: facts.contact.attributes } : undefined;
  return { contact, message: facts.message ?? undefined, conversation: facts.conversation ?? undefined, vars: state.vars, trigger: facts.trigger, workspace: facts.workspace };
}
