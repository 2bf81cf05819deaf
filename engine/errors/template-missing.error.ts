import { AppError } from './app-error.ts';

/**
 * A send_message step names a template its flow version did not pin (a document stored before
 * validation knew templates, or a pinned version removed by hand). Retrying cannot help: the
 * flow must be fixed and published again.
 */
export class TemplateMissingError extends AppError {
  readonly code = 'template_missing';
  readonly disposition = 'never';
  constructor(readonly templateId: string) {
    super(
      `this step sends a saved template that its published flow version does not hold (${templateId}): pick the template again in the node and publish`,
    );
  }
}
