import { ApiError } from '../api/api-client.ts';
import { ErrorAlert } from '../error-alert.tsx';
import { messageOf } from '../error-message.ts';
import type { FieldProblem } from './broadcast-draft.ts';

/** A failure to show: its sentence and, for a validation error, the problem of each field. */
export interface ShownError {
  message: string;
  problems: FieldProblem[];
}

/** The sentence and the field problems of a failure (the API's `details`, when it is a list of them). */
export function shownError(err: unknown): ShownError {
  const details = err instanceof ApiError && Array.isArray(err.details) ? err.details : [];
  const problems = details.flatMap((d: unknown): FieldProblem[] => {
    if (typeof d !== 'object' || d === null) return [];
    const { path, message } = d as { path?: unknown; message?: unknown };
    // Broadcast problems locate themselves by a dotted string, segment problems by a list of keys.
    const where = typeof path === 'string' ? path : Array.isArray(path) ? path.join('.') : '';
    return typeof message === 'string' ? [{ path: where, message }] : [];
  });
  return { message: messageOf(err), problems };
}

/** The error alert, with the list of field problems under it. */
export function ErrorWithDetails({ error }: { error: ShownError | null }) {
  if (!error) return null;
  return (
    <div className="error-with-details">
      <ErrorAlert message={error.message} />
      {error.problems.length > 0 && (
        <ul className="problems" aria-label="Problems to fix">
          {error.problems.map((p, i) => (
            <li key={i}>
              {p.path && <code className="code">{p.path}</code>} {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
