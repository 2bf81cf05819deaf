import { AppError } from './app-error.ts';

/** Only a published version can run: a flow that was never published cannot be activated. */
export class FlowNotPublishedError extends AppError {
  readonly code = 'flow_not_published';
  readonly disposition = 'user';
  constructor(readonly flowId: string) {
    super(`flow ${flowId} has no published version; publish it, which also activates it`);
  }
}
