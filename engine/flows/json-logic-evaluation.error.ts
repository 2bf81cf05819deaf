import { AppError } from '../errors/app-error.ts';

/** A validated json-logic rule threw while evaluating against this data (for example `cat` of an object). */
export class JsonLogicEvaluationError extends AppError {
  readonly code = 'json_logic_evaluation_failed';
  readonly disposition = 'never';
}
