import { ApiError } from './api/api-client.ts';

/** The sentence to show a person for a failure: the API's message, or the error's. */
export function messageOf(err: unknown): string {
  return err instanceof ApiError || err instanceof Error ? err.message : String(err);
}
