import { QueryClient } from '@tanstack/react-query';
import { ApiError } from './api-client.ts';

/** How long an answer counts as fresh: a page opened again within it shows the cache without asking. */
const STALE_MS = 10_000;

/**
 * The editor's one QueryClient. Answers are refetched when the window regains focus; a failed
 * read is retried once unless the API said no (4xx: retrying cannot change the answer).
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: STALE_MS,
        refetchOnWindowFocus: true,
        retry: (failures, error) => failures < 1 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
      },
      mutations: { retry: false },
    },
  });
}
