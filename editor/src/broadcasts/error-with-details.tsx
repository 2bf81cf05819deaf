import { Alert, Code, List, Stack } from '@mantine/core';
import { ApiError } from '../api/api-client.ts';
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
    <Stack gap="xs">
      <Alert color="red" variant="light" role="alert">
        {error.message}
      </Alert>
      {error.problems.length > 0 && (
        <List aria-label="Problems to fix" size="sm">
          {error.problems.map((p, i) => (
            <List.Item key={i}>
              {p.path && <Code>{p.path}</Code>} {p.message}
            </List.Item>
          ))}
        </List>
      )}
    </Stack>
  );
}
