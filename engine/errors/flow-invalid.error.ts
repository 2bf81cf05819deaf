import type { FlowProblem } from '../flows/flow-problem.ts';
import { AppError } from './app-error.ts';

/** A flow's draft cannot be published as it is; details list every problem, with node ids and codes. */
export class FlowInvalidError extends AppError {
  readonly code = 'flow_invalid';
  readonly disposition = 'user';
  constructor(
    readonly flowId: string,
    readonly problems: readonly FlowProblem[],
  ) {
    super(`the flow has ${problems.length} problem${problems.length === 1 ? '' : 's'} to fix before it can be published`, {
      details: problems,
    });
  }
}
