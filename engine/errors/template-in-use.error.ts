import { AppError } from './app-error.ts';

/**
 * A template is sent by the published version of a flow: deleting it would leave that flow
 * sending a template nobody can see or edit any more. The caller must make those flows use
 * another template (and publish them) or delete them first; details list them.
 */
export class TemplateInUseError extends AppError {
  readonly code = 'template_in_use';
  readonly disposition = 'user';
  constructor(
    readonly templateName: string,
    readonly flows: readonly { id: string; name: string }[],
  ) {
    super(`the template "${templateName}" is used by the published version of ${flows.length === 1 ? 'the flow' : `${flows.length} flows:`} ${flows.map((f) => `"${f.name}"`).join(', ')}: use another template in ${flows.length === 1 ? 'it' : 'them'} and publish again, or delete ${flows.length === 1 ? 'that flow' : 'those flows'}, then delete the template`, {
      details: { flows },
    });
  }
}
