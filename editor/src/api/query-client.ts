import { QueryClient } from '@tanstack/react-query';
import { ApiError } from './api-client.ts';

/**
 * The editor's one QueryClient. Answers are refetched when a page mounts and when the window regains focus; a failed
 * read is retried once unless the API said no (4xx: retrying cannot change the answer).
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Every answer is stale at once: a page opened again shows the cache at once and asks
        // again, since pages that do not go through the cache (the flow editor) change the same data.
        staleTime: 0,
        refetchOnWindowFocus: true,
        retry: (failures, error) => failures < 1 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
      },
      mutations: { retry: false },
    },
  });
}
