import { ValidationError } from '../errors/app-error.ts';
import type { SegmentProblem } from './segment.ts';

/**
 * A segment's rule was refused, or could not be evaluated against a contact; details list every
 * problem with its stable code. A `ValidationError` (code `validation_failed`, answered 400):
 * the caller must fix the rule, and clients that handle bad input generically keep working.
 */
export class SegmentInvalidError extends ValidationError {
  constructor(
    readonly problems: readonly SegmentProblem[],
    options?: { cause?: unknown },
  ) {
    super(
      `the segment rule has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.map((p) => p.message).join('; ')}`,
      {
        details: problems,
        ...(options?.cause === undefined ? {} : { cause: options.cause }),
      },
    );
  }
}
