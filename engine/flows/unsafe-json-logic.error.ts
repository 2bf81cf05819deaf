import { AppError } from '../errors/app-error.ts';
import type { JsonLogicProblem } from './json-logic.ts';

/** A json-logic rule was handed to the evaluator without passing the allow-list; it was not run. */
export class UnsafeJsonLogicError extends AppError {
  readonly code = 'unsafe_json_logic';
  readonly disposition = 'never';
  constructor(readonly problems: readonly JsonLogicProblem[]) {
    super(`the json-logic rule was refused: ${problems.map((p) => p.message).join('; ')}`, { details: problems });
  }
}
