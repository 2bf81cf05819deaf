import { AppError } from '../errors/app-error.ts';
import type { TemplateProblem } from './template.ts';

/** A template that does not parse reached the renderer; validation should have refused it at publish. */
export class InvalidTemplateError extends AppError {
  readonly code = 'invalid_template';
  readonly disposition = 'never';
  constructor(readonly problems: readonly TemplateProblem[]) {
    super(`the template is invalid: ${problems.map((p) => p.message).join('; ')}`, { details: problems });
  }
}
