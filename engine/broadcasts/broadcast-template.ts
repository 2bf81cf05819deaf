import { parseTemplate, type ParsedTemplate, type TemplateContext } from '../flows/template.ts';
import type { TemplateContent } from '../templates/message-template.ts';
import type { BroadcastProblem } from './broadcast-problem.ts';

/*
 * A broadcast's text sees the recipient and the workspace only: there is no message, run or
 * conversation behind it. A variable outside these is refused when the broadcast is written,
 * not rendered empty for 50,000 people.
 */
const CONTACT_FIELDS: ReadonlySet<string> = new Set(['id', 'name', 'phone', 'tags', 'attributes']);
const WORKSPACE_FIELDS: ReadonlySet<string> = new Set(['name', 'timezone']);

/** What a broadcast template renders a recipient with. */
export interface BroadcastTemplateFacts {
  contact: { id: string; name: string | null; phone: string | null; tags: readonly string[]; attributes: Record<string, unknown> };
  workspace: { name: string; timezone: string };
}

function unknownVariable(path: readonly string[]): string | null {
  const [root, field, key] = path;
  if (root === 'contact') {
    if (field === undefined || !CONTACT_FIELDS.has(field))
      return `contact.${field ?? ''} is not a contact field (use ${[...CONTACT_FIELDS].join(', ')})`;
    if (field === 'attributes' && key === undefined) return 'name the attribute: contact.attributes.<key>';
    return null;
  }
  if (root === 'workspace') {
    if (field === undefined || !WORKSPACE_FIELDS.has(field))
      return `workspace.${field ?? ''} is not a workspace field (use ${[...WORKSPACE_FIELDS].join(', ')})`;
    return null;
  }
  return `"${path.join('.')}" is not available in a broadcast: only contact.* and workspace.* are`;
}

/** Parses a broadcast text; every malformed placeholder and unknown variable is a problem. */
export function parseBroadcastTemplate(
  text: string,
  path = 'content.text',
): { template: ParsedTemplate | null; problems: BroadcastProblem[] } {
  const parsed = parseTemplate(text);
  if (!parsed.ok)
    return {
      template: null,
      problems: parsed.problems.map((p) => ({ code: 'template_invalid', message: `${p.message} (at character ${p.offset})`, path })),
    };
  const problems: BroadcastProblem[] = [];
  for (const part of parsed.template.parts) {
    if (part.kind !== 'value') continue;
    const reason = unknownVariable(part.path);
    if (reason !== null) problems.push({ code: 'template_unknown_variable', message: reason, path });
  }
  return { template: problems.length === 0 ? parsed.template : null, problems };
}

/** The template context for one recipient. */
export function broadcastTemplateContext(facts: BroadcastTemplateFacts): TemplateContext {
  return { contact: facts.contact, workspace: facts.workspace };
}

/**
 * What keeps a saved template from being broadcast: a variable a broadcast cannot fill
 * (`{{message.text}}`, `{{vars.answer}}`, an unknown workspace field) in any language's text or
 * media URL. Contact fields follow the template's own rules (attributes also at the top level,
 * `{{contact.plan}}`), as in a flow and in the template's preview.
 */
export function templateBroadcastProblems(templateName: string, content: TemplateContent): BroadcastProblem[] {
  const problems: BroadcastProblem[] = [];
  for (const variant of content.variants) {
    for (const [where, source] of [
      ['text', variant.text],
      ['media URL', variant.mediaUrl ?? ''],
    ] as const) {
      const parsed = parseTemplate(source);
      if (!parsed.ok) {
        problems.push({
          code: 'template_invalid',
          message: `the template "${templateName}" (${variant.language}) no longer reads: edit it`,
          path: 'content.templateId',
        });
        continue;
      }
      for (const part of parsed.template.parts) {
        if (part.kind !== 'value') continue;
        const [root, field] = part.path;
        const known = root === 'contact' ? field !== undefined : root === 'workspace' && field !== undefined && WORKSPACE_FIELDS.has(field);
        if (!known) {
          problems.push({
            code: 'template_unknown_variable',
            message: `the template "${templateName}" uses {{${part.path.join('.')}}} in its ${variant.language} ${where}, which a broadcast cannot fill (it knows the contact and the workspace only): edit the template, or write the message here`,
            path: 'content.templateId',
          });
        }
      }
    }
  }
  return problems;
}
